"""The one exception type for problems the user can fix."""


class BackproplabError(Exception):
    """A bad option, a bad file, an impossible request.

    Raised wherever the problem is found; the command line turns it into one line on stderr and
    exit status 2. The message names the problem (and the file and line, for a file).
    """


def unknown_name(kind, name, valid):
    """The error for a name that is not one of ``valid``, listing the valid ones."""
    return BackproplabError(f"unknown {kind} {name!r}; choose from: {', '.join(valid)}")


def lookup(kind, name, registry):
    """``registry[name]``: the one way a name becomes a class or a function (an activation, an
    optimizer, a data set, …); an unknown name is the error that lists the valid ones."""
    try:
        return registry[name]
    except (KeyError, TypeError):  # TypeError: an unhashable name, such as a list
        raise unknown_name(kind, name, registry) from None
