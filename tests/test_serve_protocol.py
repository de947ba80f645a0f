"""The playground's protocol without a server: every hostile message is a MessageError with a
line for the page, every good one a clean dict; frames cannot carry NaN; the rate limit and the
outbox (latest frame wins, replies in order) do what the server counts on."""

import asyncio
import base64
import json
import threading

import pytest

from backproplab.app.serve import protocol
from backproplab.app.serve.connection import Rate, Sessions
from backproplab.app.serve.outbox import Outbox
from backproplab.app.serve.protocol import FIELDS, MessageError, Policy, read

POLICY = Policy(message_bytes=10_000, json_depth=8)


def refused(raw, policy=POLICY):
    with pytest.raises(MessageError) as e:
        read(raw, policy)
    assert "\n" not in str(e.value) and len(str(e.value)) < 300
    return e.value


@pytest.mark.parametrize("raw, says", [
    (b'{"type": "play"}', "binary"),
    ("", "not valid JSON"),
    ("{bad", "not valid JSON: Expecting property name"),
    ('{"type": "step", "epochs": NaN}', "not valid JSON: NaN is not a number JSON allows"),
    ('{"type": "step", "epochs": Infinity}', "not valid JSON"),
    ('{"type": "step", "epochs": -Infinity}', "not valid JSON"),
    ('{"type": "step", "epochs": ' + "9" * 5000 + "}", "not valid JSON"),
    ("[" * 4000 + "]" * 4000, "nested more than 8 levels"),  # deeper than Python's stack
    ("[" * 9 + "]" * 9, "nested more than 8 levels"),
    ('{"type": "settings", "settings": ' + '{"a": ' * 9 + "1" + "}" * 10, "nested more than 8"),
    ("[1, 2]", "a JSON object"),
    ('"play"', "a JSON object"),
    ("null", "a JSON object"),
    ("{}", "unknown message type None"),
    ('{"type": 3}', "unknown message type 3"),
    ('{"type": ["play"]}', "unknown message type ['play']"),
    ('{"type": "rm -rf /"}', "unknown message type 'rm -rf /'"),
    ('{"type": "' + "x" * 500 + '"}', "unknown message type 'xxxx"),
    ("x" * 10_001, "message too large: at most 9.77 KiB"),
    ('{"type": "play", "pad": "' + "é" * 6000 + '"}', "message too large"),  # > 10,000 bytes
])
def test_a_message_that_is_not_one_is_refused(raw, says):
    assert says in str(refused(raw))


@pytest.mark.parametrize("message, says", [
    ({"type": "step", "epochs": "5"}, "epochs must be a whole number from 1 to 100000"),
    ('{"type": "step", "epochs": 1e999}', "epochs must be a whole number"),  # 1e999 is inf
    ('{"type": "point", "action": "add", "x": -1e999, "y": 0}', "x must be a number between"),
    ({"type": "step", "epochs": 2.5}, "epochs must be a whole number"),
    ({"type": "step", "epochs": 0}, "from 1 to 100000, got 0"),
    ({"type": "step", "epochs": 10**12}, "from 1 to 100000"),
    ({"type": "step", "epochs": True}, "epochs must be a whole number"),
    ({"type": "point", "action": "add", "x": "1", "y": 0}, "x must be a number"),
    ({"type": "point", "action": "add", "x": 1e300, "y": 0}, "x must be a number between"),
    ({"type": "point", "action": "add", "x": 0, "y": None}, "y must be a number"),
    ({"type": "point", "action": "move", "x": 0, "y": 0}, "action must be one of add, remove"),
    ({"type": "point", "action": "add", "x": 0, "y": 0, "label": -1}, "label must be"),
    ({"type": "point", "action": "add", "x": 0, "y": 0, "label": 1.5}, "label must be"),
    ({"type": "explain", "index": "0"}, "index must be a whole number"),
    ({"type": "explain", "index": 0, "set": "../etc"}, "set must be one of train, test"),
    ({"type": "robustness"}, "action must be one of start, stop, got None"),
    ({"type": "upload", "name": ["a"], "text": ""}, "name must be text"),
    ({"type": "upload", "name": "a.csv", "text": 5}, "text must be text"),
    ({"type": "upload", "name": "a" * 201, "text": ""}, "name is longer than 200"),
    ({"type": "load-model", "data": "!!not base64!!"}, "data is not valid base64"),
    ({"type": "load-model", "data": 12}, "data must be base64 text"),
    ({"type": "settings", "settings": []}, "settings must be an object"),
    ({"type": "settings", "settings": "lr=1"}, "settings must be an object"),
    ({"type": "settings", "settings": {"lr": [1]}}, "setting lr must be text or a number"),
    ({"type": "settings", "settings": {"lr": None}}, "setting lr must be text or a number"),
    ({"type": "settings", "settings": {"k" * 41: "1"}}, "is not a setting"),
    ({"type": "settings", "settings": {"data": "x" * 201}}, "longer than 200 characters"),
    ({"type": "settings", "settings": {str(i): "1" for i in range(65)}}, "more than 64 keys"),
    ('{"type": "settings", "settings": {"lr": 1e999}}', "lr must be a finite number, got inf"),
])
def test_a_field_of_the_wrong_kind_is_refused_with_its_name(message, says):
    raw = message if isinstance(message, str) else json.dumps(message)
    error = refused(raw)
    assert says in str(error)
    assert error.about == json.loads(raw)["type"]


def test_every_message_type_reads_back_clean():
    model = base64.b64encode(b"PK\x03\x04 a model").decode()
    good = [
        {"type": "settings", "settings": {"data": "xor", "lr": 0.03, "n": 200, "play": True}},
        {"type": "play"}, {"type": "pause"}, {"type": "step", "epochs": 10}, {"type": "step"},
        {"type": "reset"}, {"type": "point", "action": "add", "x": 0.5, "y": -1, "label": 2},
        {"type": "point", "action": "remove", "x": 0, "y": 0}, {"type": "new-sample"},
        {"type": "upload", "name": "my.csv", "text": "x1,x2,y\n0,0,1\n"},
        {"type": "explain", "index": 3}, {"type": "explain", "index": 0, "set": "test"},
        {"type": "robustness", "action": "start"}, {"type": "export-model"},
        {"type": "load-model", "data": model}, {"type": "export-csv"},
    ]
    assert {m["type"] for m in good} == set(FIELDS)
    clean = [read(json.dumps({**m, "extra": {"ignored": 1}}), POLICY) for m in good]
    assert clean[0]["settings"] == {"data": "xor", "lr": "0.03", "n": "200", "play": "1"}
    assert clean[4] == {"type": "step", "epochs": 1}
    assert clean[6] == {"type": "point", "action": "add", "x": 0.5, "y": -1.0, "label": 2}
    assert clean[11]["set"] == "test" and clean[10]["set"] == "train"
    assert clean[14]["data"] == b"PK\x03\x04 a model"
    assert all("extra" not in m for m in clean)  # only the fields the server reads are kept


def test_a_reply_never_carries_nan():
    text = protocol.encode({"type": "frame", "train": {"loss": float("nan")},
                            "curve": {"train": [1.0, float("inf"), -float("inf")]}})
    assert json.loads(text, parse_constant=pytest.fail) == {
        "type": "frame", "train": {"loss": None}, "curve": {"train": [1.0, None, None]}}
    assert protocol.error("no", "step") == {"type": "error", "message": "no", "about": "step"}


def test_the_rate_allows_bursts_then_drops_then_calls_it_flooding():
    now = [0.0]
    rate = Rate(10, clock=lambda: now[0])
    assert all(rate.allow() for _ in range(20))  # a burst of twice the rate
    assert not rate.allow() and rate.dropped == 1 and not rate.flooding()
    now[0] += 0.5  # half a second: five more
    assert [rate.allow() for _ in range(6)] == [True] * 5 + [False]
    for _ in range(20):
        rate.allow()
    assert rate.flooding()
    now[0] += 10
    assert rate.allow() and rate.dropped == 0 and not rate.flooding()


def test_sessions_at_once_are_counted():
    sessions = Sessions(2)
    assert sessions.open() and sessions.open() and not sessions.open()
    sessions.close()
    assert sessions.open() and sessions.count == 2


def test_the_outbox_keeps_replies_in_order_and_only_the_latest_frame():
    async def scenario():
        box = Outbox(asyncio.get_running_loop())
        taken = []
        box.on_frame_taken = lambda: taken.append(True)

        def worker():  # another thread, as the session's worker is
            box.put_frame("frame 1")
            box.reply({"type": "a"})
            assert not box.frame_free()
            box.put_frame("frame 2")  # replaces frame 1, never sent
            box.reply({"type": "b"})

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        got = [await box.take() for _ in range(3)]
        assert got == ['{"type":"a"}', '{"type":"b"}', "frame 2"]
        assert box.frame_free() and taken == [True] and box.backlog() == 0
        waiting = asyncio.ensure_future(box.take())
        await asyncio.sleep(0.01)
        assert not waiting.done()  # nothing to send: it waits
        threading.Thread(target=box.put_frame, args=("frame 3",)).start()
        assert await asyncio.wait_for(waiting, 5) == "frame 3"
        box.close()
        box.reply({"type": "after close"})  # queued, but wakes no one: no error

    asyncio.run(scenario())
