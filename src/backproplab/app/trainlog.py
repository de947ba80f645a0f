"""The training log: the lab's log lines and a progress bar, written around each other."""

from .edge import silence


class Log:
    """Progress bar (on a terminal) and the lab's log lines, written around each other.

    ``test``, if given, is a list the training hook fills with each epoch's test accuracy; the
    lines and the bar then show it too."""

    def __init__(self, epochs, every, quiet, stdout, stderr, test=None):
        self.every, self.quiet, self.stdout, self.test = every, quiet, stdout, test
        self.width = len(str(epochs))
        self.bar = None
        if not quiet and epochs and hasattr(stderr, "isatty") and stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=epochs, unit="epoch", file=stderr, leave=False,
                            dynamic_ncols=True)
        self.printed = 0  # next epoch whose log line is due
        self.hook = None

    def line(self, text):
        if self.quiet:
            return
        try:
            if self.bar is not None:
                self.bar.write(text, file=self.stdout)
            else:
                print(text, file=self.stdout, flush=True)
        except OSError:  # the reader went away (| head), or a full disk: train on quietly
            self.quiet = True
            silence(self.stdout)

    def epoch_line(self, epoch, loss, acc, test=None):
        line = f"epoch {epoch:>{self.width}}  loss {loss:.6f}  accuracy {100 * acc:6.2f}%"
        return line if test is None else f"{line}  test accuracy {100 * test:6.2f}%"

    def _test_at(self, epoch):
        return self.test[epoch] if self.test is not None and epoch < len(self.test) else None

    def progress(self, p):
        """Training's callback: log lines for the epochs done so far, and the bar."""
        if self.hook is not None:
            self.hook(p)
        while self.printed < p.epochs:
            self.line(self.epoch_line(self.printed, p.loss[self.printed, 0],
                                      p.accuracy[self.printed, 0], self._test_at(self.printed)))
            self.printed += self.every
        if self.bar is not None:
            if self.test is not None and p.epochs:
                test = self._test_at(p.epochs - 1)
                self.bar.set_postfix_str(
                    f"loss {p.loss[p.epochs - 1, 0]:.4f}, accuracy "
                    f"{100 * p.accuracy[p.epochs - 1, 0]:.1f}%"
                    + ("" if test is None else f", test {100 * test:.1f}%"), refresh=False)
            self.bar.update(p.epochs - self.bar.n)

    def close(self):
        if self.bar is not None:
            self.bar.close()
