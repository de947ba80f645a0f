"""What each message does to a tab's session: one function per message type, run by the
session's worker thread (:mod:`.runner`) with the checked message (:mod:`.protocol`).

A BackproplabError raised here (a bad setting, a CSV's bad line, a model file that does not
fit) becomes the client's ``{"type": "error", "about": TYPE}``, in the words the command line
would use; the session goes on as it was.
"""

import base64
import threading
import time

from ...errors import BackproplabError
from ...limits import size_text

PROGRESS_INTERVAL = 0.2  # seconds between two robustness progress messages


def settings(runner, message):
    """The first settings make the session (``play=1`` among them starts it); later ones are
    applied live (lr, momentum, …: it goes on playing) or rebuild it at epoch 0, paused."""
    wanted = message["settings"]
    if runner.session is None:
        runner.session = runner.make_session(wanted)
        runner.announce(reset=True)
        if wanted.get("play") == "1":
            runner.play()
        return
    reset = runner.session.apply(wanted) == "reset"
    if reset:
        runner.stop()
    runner.announce(reset=reset)


def play(runner, message):
    runner.play()


def pause(runner, message):
    runner.stop()


def step(runner, message):
    runner.step(message["epochs"])


def reset(runner, message):
    runner.need_session().reset()
    runner.stop()


def point(runner, message):
    """A point clicked into the plot, or one clicked away: new data, training from epoch 0."""
    s = runner.need_session()
    if message["action"] == "add":
        s.add_point(message["x"], message["y"], message["label"])
    else:
        s.remove_point(message["x"], message["y"])
    _new_data(runner)


def new_sample(runner, message):
    runner.need_session().new_sample()
    _new_data(runner)


def upload(runner, message):
    text, most = message["text"], runner.policy.upload_bytes
    if len(text) > most or len(text.encode("utf-8", "surrogatepass")) > most:
        raise BackproplabError(f"{message['name']}: the file is larger than {size_text(most)}, "
                               "the most the playground takes")
    runner.need_session().upload_csv(message["name"], text)
    _new_data(runner)


def _new_data(runner):
    runner.stop()
    runner.announce(reset=True)


def explain(runner, message):
    index, which = message["index"], message["set"]
    text = runner.need_session().explain(index, which=which)
    runner.reply({"type": "explain", "index": index, "set": which, "text": text})


def export_model(runner, message):
    data = runner.need_session().model_file()
    runner.reply({"type": "model", "name": "model.npz",
                  "data": base64.b64encode(data).decode("ascii")})


def load_model(runner, message):
    runner.need_session().load_model(message["data"])
    runner.stop()
    runner.announce(reset=True)


def export_csv(runner, message):
    runner.reply({"type": "csv", "name": "points.csv",
                  "text": runner.need_session().points_csv()})


def robustness(runner, message):
    """Start (one at a time: a new start ends the last) or stop the run over 20 seeds, in a
    thread beside the worker; progress goes out at most five times a second."""
    s = runner.need_session()
    running = runner.robustness
    if running is not None and running.is_alive():
        s.pause_robustness()
        running.join()
    runner.robustness = None
    if message["action"] == "start":
        runner.robustness = threading.Thread(target=_robustness, args=(runner, s), daemon=True,
                                             name="playground-robustness")
        runner.robustness.start()


def _robustness(runner, session):
    last = [time.perf_counter()]

    def progress(fraction):
        now = time.perf_counter()
        if now - last[0] >= PROGRESS_INTERVAL and runner.outbox.backlog() < 8:
            last[0] = now
            runner.reply({"type": "robustness", "done": fraction, "finished": False})

    try:
        result = session.robustness(progress=progress)
    except Exception as e:
        runner.report_error(e, "robustness")
        return
    runner.reply({"type": "robustness", **result})


ACTIONS = {
    "settings": settings, "play": play, "pause": pause, "step": step, "reset": reset,
    "point": point, "new-sample": new_sample, "upload": upload, "explain": explain,
    "robustness": robustness, "export-model": export_model, "load-model": load_model,
    "export-csv": export_csv,
}
"""Message type → what it does; protocol.FIELDS says which fields each one has."""
