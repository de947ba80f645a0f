"""``backproplab check``'s printout: what was found, the table per array (as gradcheck's), and
the verdict."""

import textwrap

HEADER = ["array", "yours", "rel vs backprop", "rel vs finite diff", "result"]


def _number(value):
    return "—" if value is None else "shape" if value == float("inf") else f"{value:.1e}"


def format_result(path, cfg, result):
    """The whole report as text."""
    lines = [f"check: {path} against backproplab's MLP ({cfg.data} data, "
             f"{'/'.join(dict.fromkeys(cfg.activation))} hidden units, {cfg.output} output, "
             f"loss {cfg.loss}, seed {cfg.seed}), at the same weights, in float64"]
    found = [textwrap.fill(line, 100, subsequent_indent="  ") for line in result.lines]
    at = len(found) if result.table_at is None else result.table_at
    lines += found[:at]
    if result.rows:
        rows = [[r.name, r.theirs, _number(r.vs_backprop), _number(r.vs_fd),
                 "pass" if r.passed else "FAIL"] for r in result.rows]
        widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(len(HEADER))]
        lines.append("")
        for row in [HEADER, *rows]:
            lines.append("  ".join(c.rjust(w) if i in (2, 3) else c.ljust(w)
                                   for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        diagnosed = [r for r in result.rows if r.diagnosis]
        if diagnosed:
            lines.append("")
        for r in diagnosed:
            lines.append(textwrap.fill(f"{r.name}: {r.diagnosis}", 100, subsequent_indent="  "))
    if found[at:]:
        lines += [""] + found[at:]
    lines += ["", verdict(result)]
    return "\n".join(lines) + "\n"


def verdict(result):
    failed = [r.name for r in result.rows if not r.passed]
    if result.passed:
        return (f"all {len(result.rows)} arrays pass: your forward pass and gradients match "
                "backproplab's")
    if not result.forward_ok:
        return ("FAIL: your forward pass differs from backproplab's; fix it first (the "
                "gradients are judged against backprop once it matches)")
    return (f"FAIL: {len(failed)} of {len(result.rows)} arrays ({', '.join(failed)}) do not "
            "match backproplab's gradients")
