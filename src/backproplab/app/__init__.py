"""The lab's applications: the settings of a run, what builds data and networks from them, and
the commands — train, sweep, report, gradcheck, explain — with the command line on top."""
