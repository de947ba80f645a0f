import sys

try:
    from .app.cli import main
except KeyboardInterrupt:  # Ctrl-C before the command line could even start
    sys.stderr.write("backproplab: interrupted\n")
    sys.exit(130)

sys.exit(main())
