"""A small document model for the report: one list of blocks, rendered to Markdown (figures as
files beside it) and to one self-contained HTML file (figures embedded as data URIs).
"""

import base64
import html
import os

from ..files import write_text


class Document:
    def __init__(self, title):
        self.title = title
        self.blocks = []

    def heading(self, text, level=2):
        self.blocks.append(("heading", level, text))

    def paragraph(self, text):
        self.blocks.append(("paragraph", text))

    def bullets(self, items):
        self.blocks.append(("bullets", list(items)))

    def code(self, text, language=""):
        self.blocks.append(("code", language, text.rstrip("\n")))

    def table(self, header, rows, align=None):
        self.blocks.append(("table", list(header), [list(map(str, r)) for r in rows], align))

    def figure(self, path, caption):
        """A figure: ``path`` is relative to the report's folder."""
        self.blocks.append(("figure", path, caption))

    # -- Markdown ------------------------------------------------------------------------

    def markdown(self):
        out = [f"# {self.title}", ""]
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                out += [f"{'#' * block[1]} {block[2]}", ""]
            elif kind == "paragraph":
                out += [block[1], ""]
            elif kind == "bullets":
                out += [f"- {item}" for item in block[1]] + [""]
            elif kind == "code":
                out += [f"```{block[1]}", block[2], "```", ""]
            elif kind == "table":
                _, header, rows, align = block
                align = align or ["l"] * len(header)
                out.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
                out.append("| " + " | ".join("---:" if a == "r" else "---" for a in align) + " |")
                out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
                out.append("")
            elif kind == "figure":
                out += [f"![{block[2]}]({block[1]})", "", f"*{block[2]}*", ""]
        return "\n".join(out).rstrip() + "\n"

    # -- HTML ----------------------------------------------------------------------------

    def html(self, folder):
        """The document as one HTML page with every figure embedded (no external resource)."""
        e = html.escape
        body = [f"<h1>{e(self.title)}</h1>"]
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                level = min(block[1], 6)
                anchor = _anchor(block[2])
                body.append(f'<h{level} id="{anchor}">{_inline(block[2])}</h{level}>')
            elif kind == "paragraph":
                body.append(f"<p>{_inline(block[1])}</p>")
            elif kind == "bullets":
                body.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block[1])
                            + "</ul>")
            elif kind == "code":
                body.append(f"<pre><code>{e(block[2])}</code></pre>")
            elif kind == "table":
                _, header, rows, align = block
                align = align or ["l"] * len(header)
                style = ['' if a == "l" else ' class="r"' for a in align]
                head = "".join(f"<th{s}>{_inline(h)}</th>" for h, s in zip(header, style))
                rows_html = "".join(
                    "<tr>" + "".join(f"<td{s}>{_inline(c)}</td>" for c, s in zip(row, style))
                    + "</tr>" for row in rows)
                body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows_html}"
                            "</tbody></table>")
            elif kind == "figure":
                uri = _data_uri(os.path.join(folder, block[1]))
                body.append(f'<figure><img src="{uri}" alt="{e(block[2])}">'
                            f"<figcaption>{_inline(block[2])}</figcaption></figure>")
        return (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{e(self.title)}</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n"
        )

    def write(self, folder, name="report"):
        md = os.path.join(folder, f"{name}.md")
        page = os.path.join(folder, f"{name}.html")
        write_text(md, self.markdown())
        write_text(page, self.html(folder))
        return md, page


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:60rem;
margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}
h1,h2,h3{line-height:1.2}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2.5rem}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .6rem}th{background:#f3f3f3}td.r,th.r{text-align:right}
pre{background:#f6f6f6;padding:.8rem;overflow-x:auto;font-size:.85rem}
code{font-family:ui-monospace,Menlo,Consolas,monospace}
figure{margin:1rem 0}img{max-width:100%}figcaption{font-size:.9rem;color:#555}
"""


def _md_cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _anchor(text):
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def _inline(text):
    """Escape, then turn `code` spans into <code>."""
    parts = str(text).split("`")
    return "".join(html.escape(p) if i % 2 == 0 else f"<code>{html.escape(p)}</code>"
                   for i, p in enumerate(parts))


def _data_uri(path):
    mime = {".png": "image/png", ".gif": "image/gif", ".svg": "image/svg+xml"}[
        os.path.splitext(path)[1].lower()]
    with open(path, "rb") as f:
        return f"data:{mime};base64," + base64.b64encode(f.read()).decode("ascii")
