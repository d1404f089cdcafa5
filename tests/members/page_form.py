"""What a browser would post from a page's form: every named input, select and textarea with its value
as rendered (ticked boxes only, the selected option), so a test changes only what a person would."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_class: str) -> None:
        super().__init__()
        self.form_class = form_class
        self.inside = False
        self.done = False
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done and self.form_class in (a.get("class") or "").split():
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.setdefault(name, []).append(a.get("value") or "on")
            elif kind not in ("submit", "button", "image", "file"):
                self.data.setdefault(name, []).append(a.get("value") or "")
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            value = a.get("value") or ""
            if self._select_first is None:
                self._select_first = value
            if "selected" in a and not self._select_chosen:
                self.data[self._select] = [value]
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            if not self._select_chosen:
                self.data[self._select] = [self._select_first or ""]
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data


def form_data(html: str, *, form_class: str = "family-form") -> dict[str, list[str]]:
    reader = _FormReader(form_class)
    reader.feed(html)
    return reader.data
