"""The limits on what a user can hand over: every size is checked against one of these before
anything is allocated or read, and the error says the limit. README's "Limits and errors"
lists them."""

MiB = 2**20
GiB = 2**30

MAX_TEXT_FILE = 64 * MiB  # a CSV, sweep or experiment file is read whole: at most this
MAX_MODEL_FILE = 2 * GiB  # a model file's members together, as their headers declare them
MAX_JSON_DEPTH = 20  # a model file's configuration nests no deeper than this
MAX_JSON_BYTES = 16 * MiB  # … and is no longer than this
MAX_ZIP_DIRECTORY = 1 * MiB  # a model file's zip directory (~70 bytes a member: 15,000 arrays)
MAX_LAYER_SIZE = 2**31 - 1  # units, channels, a kernel's or an image's side in a model file
MAX_SWEEP_NETWORKS = 100_000  # networks one sweep may ask for
MAX_TOML_DEPTH = 20  # a sweep file's arrays and inline tables nest no deeper than this
DEFAULT_MAX_MEMORY = 4 * GiB  # what one run may use, unless --max-memory says otherwise
FIGURE_CHUNK = 64 * MiB  # a figure evaluates a network over a grid this many bytes at a time
FIGURE_GRID_WORK = 10**10  # multiply-adds of a network over a figure's grid: a coarser grid beyond
FIGURE_POINTS = 10_000  # data points a scatter draws: a larger set draws a sample of this many
FIGURE_CURVE_POINTS = 100_000  # a learning curve longer than this is thinned to about this
MAX_CLASSES = 10  # a CSV file's labels are classes 0 to MAX_CLASSES − 1 (a figure's colours)

# backproplab serve: what one browser tab may send and hold (the server's side; app/serve)
PLAYGROUND_MESSAGE_BYTES = 4 * MiB  # one WebSocket message (an upload or a model file, as JSON)
PLAYGROUND_JSON_DEPTH = 8  # a message's JSON nests no deeper than this (settings: 3 levels)
PLAYGROUND_UPLOAD_BYTES = 1 * MiB  # an uploaded CSV's text
PLAYGROUND_SESSIONS = 16  # sessions (open tabs) at once, over every client
PLAYGROUND_IDLE_SECONDS = 30 * 60  # a session with no message for this long is closed and freed
PLAYGROUND_MESSAGES_PER_SECOND = 50  # sustained; a burst of twice this passes, more is flooding

# backproplab serve: the data, network and run one page (a session) may ask for (app/playground)
PLAYGROUND_MAX_LAYERS = 6  # hidden layers of a playground network
PLAYGROUND_MAX_UNITS = 16  # units in one of them
PLAYGROUND_MAX_POINTS = 2000  # points of a playground data set: generated, clicked or uploaded
PLAYGROUND_MAX_CLASSES = 8  # classes of clicked or uploaded points (labels 0…7)
PLAYGROUND_MAX_EPOCHS = 100_000  # a playground run's length (its curves grow with it)
PLAYGROUND_ROBUSTNESS_SEEDS = 20  # networks the robustness panel trains as one stack
PLAYGROUND_CURVE_POINTS = 5000  # a session keeps this many points of its loss curves


def size_text(n):
    """A number of bytes for a message: '3.2 GiB', '512 MiB', '900 KiB', '12 bytes'."""
    for unit, size in (("TiB", 1024 * GiB), ("GiB", GiB), ("MiB", MiB), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"
