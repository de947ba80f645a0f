"""One playground run built from its settings: the data, the network and the trainer, made by
the functions ``train`` makes them with — so that N epochs here are ``train --epochs N``'s, bit
for bit — and what the page's frames need beside them.

Everything is built new and only then handed to the session, so a setting that fails (a split
that leaves a class out, three classes with a sigmoid output) leaves the page as it was.
"""

from dataclasses import dataclass

from ...engine.trainer import Trainer
from ...engine.trainingdata import HeldOut
from ..factory import point_model
from . import points as pts
from .frames import Painter, finite
from .settings import config


@dataclass
class Run:
    """A run and its viewers: ``net`` trains (through ``trainer``); ``viewer`` and the
    networks the training and test sets are measured on are copies of it with layers of their
    own — so drawing never touches the buffers of the network that trains, and each copy
    always sees inputs of one shape (a layer remakes its buffers for a new shape)."""

    values: dict
    cfg: object
    data: pts.Data
    net: object
    trainer: Trainer
    viewer: object
    painter: Painter
    train_set: HeldOut  # the loss and accuracy of the current weights on the training set
    test_set: HeldOut | None
    probes: tuple  # (network for train_set, for test_set): copies, like the viewer

    def look(self):
        """Copy the trained weights into the viewer and the probes (under the session's lock:
        between two slices of training)."""
        for net in (self.viewer, *self.probes):
            net.params[...] = self.net.params

    def measured(self):
        """(training set's, test set's or None) {"loss", "accuracy" in %} of the weights the
        probes hold."""
        return tuple(None if held is None else _scores(held.measure(net))
                     for held, net in zip((self.train_set, self.test_set), self.probes))

    @property
    def finished(self):
        """Whether the run is over: all its epochs, its stopping rule, or divergence."""
        t = self.trainer
        return t.epoch >= t.epochs or len(t.active) == 0

    @property
    def status(self):
        """'training', 'finished' (every epoch), 'stopped' (the stopping rule) or 'diverged'."""
        record = self.trainer.record
        if record.diverged[0]:
            return "diverged"
        if record.stopped[0]:
            return "stopped"
        return "finished" if self.finished else "training"

    def lr(self):
        """The learning rate of the next epoch (a schedule's, from its lr₀)."""
        t = self.trainer
        if t.schedule is None:
            return float(t.opt.hyper["lr"][0, 0])
        return float(t.schedule.lr(t.opt.initial_lr, t.epoch, t.epochs)[0, 0])


def build(values, points=None, view=None):
    """The :class:`Run` of normalised settings ``values``: on ``points`` (x, y) when the data
    is the page's own, else the built-in set; ``view``, if given, keeps the page's extent (a
    click adds a point without the plot moving under the mouse)."""
    cfg = config(values).check()
    data = pts.load(cfg, points if values["data"] == "points" else None)
    if view is not None:
        data.extent = view
    net = point_model(cfg, data.x, data.y)  # the output units train gives these points
    # train's own call (app/train.py), setting for setting
    trainer = Trainer(net, data.x, data.y, loss=cfg.loss, optimizer=cfg.optimizer, lr=cfg.lr,
                      epochs=cfg.epochs, batch_size=cfg.batch_size,
                      stop_at_loss=cfg.stop_at_loss, schedule=cfg.lr_schedule(), **cfg.hyper())
    viewer, probes = net.select([0]), (net.select([0]), net.select([0]))
    values = {**values, "n": str(len(data.x_all)) if values["n"] == "" else values["n"]}
    test_set = (None if data.x_test is None
                else HeldOut(viewer, data.x_test, data.y_test, cfg.loss))
    return Run(values, cfg, data, net, trainer, viewer, Painter(viewer, data.extent),
               HeldOut(viewer, data.x, data.y, cfg.loss), test_set, probes)


def _scores(measured):
    loss, accuracy = measured
    return {"loss": finite(loss[0]), "accuracy": finite(100 * accuracy[0])}
