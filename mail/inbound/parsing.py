"""One raw mail (RFC 5322 bytes) read as what the router needs: who wrote, to which address,
what it answers, the new text without the quoted history, the files, and whether a machine
sent it. Pure: no database, no network, no settings.

Mails come from anyone, so nothing here raises: a broken header is an empty field, a broken
part is skipped, and the router decides what an incomplete mail deserves. Every bound below is
there because the email package or the HTML parser is slow (quadratic for some headers) on
input built to be: a 30 MB mail is mostly its files and reads in well under a second.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import parseaddr
from typing import Any

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, NavigableString, Tag
from bs4.element import PageElement, PreformattedString

# A mail whose body happens to look like a file name or an address is still a mail.
warnings.filterwarnings("ignore", category=MarkupResemblesLocatorWarning)

# The email package's header parser is quadratic on some values (1 MB of Content-Type
# parameters: minutes); no real header comes near this.
HEADER_MAX = 16_000
# Occurrences of one header read (a thousand To: headers add nothing).
HEADER_REPEAT_MAX = 20
# MIME parts looked at, how deep, and files kept: a mail of 1000 parts stops at 100 files.
PARTS_MAX = 2_000
DEPTH_MAX = 30
ATTACHMENTS_MAX = 100
# Message-IDs kept from In-Reply-To / References.
IDS_MAX = 100
# Bytes of one text part decoded, characters of plain text kept, of HTML parsed (BeautifulSoup
# takes about a second per MB): the new text of a reply is at the top.
TEXT_BYTES_MAX = 4_000_000
TEXT_MAX = 1_000_000
HTML_MAX = 500_000


class _CappedRegistry(HeaderRegistry):
    """policy.default's headers, each value cut at HEADER_MAX before it is parsed."""

    def __call__(self, name: str, value: Any) -> BaseHeader:
        if isinstance(value, str) and len(value) > HEADER_MAX:
            value = value[:HEADER_MAX]
        return super().__call__(name, value)


POLICY = policy.default.clone(header_factory=_CappedRegistry())


@dataclass(frozen=True)
class Part:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Incoming:
    key: str
    message_id: str
    sender: str
    sender_name: str
    recipients: tuple[str, ...]
    subject: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    text: str
    reply: str
    attachments: tuple[Part, ...]
    automatic: str
    bounce: bool
    bounced_ids: tuple[str, ...]
    size: int


# ---------------------------------------------------------------------------------------------
# Strings


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ESCAPED = re.compile(r"[\udc80-\udcff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SPACES = re.compile(r"\s+")


def _unescape(text: str) -> str:
    """Undo the parser's surrogate escapes of raw 8-bit bytes (UTF-8, else Windows-1252), and
    replace any other surrogate: the database refuses them."""
    if _SURROGATE.search(text) is None:
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeError:
        pass
    text = _ESCAPED.sub(
        lambda m: bytes([ord(m[0]) - 0xDC00]).decode("cp1252", "replace"),
        text,
    )
    return _SURROGATE.sub("\ufffd", text)


def _clean(text: str) -> str:
    """A header's text: no surrogates, no control characters."""
    return _CONTROL.sub("", _unescape(text))


def _one_line(text: str) -> str:
    return " ".join(_clean(text).split())


def _tidy(text: str, *, collapse: bool = False) -> str:
    """Line endings as \\n, no control characters, no trailing whitespace on a line, no blank
    lines first or last (collapse: at most one blank line in a row)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", _unescape(text)).replace("\ufeff", "")
    lines = [line.rstrip() for line in text.split("\n")]
    start, end = 0, len(lines)
    while start < end and not lines[start]:
        start += 1
    while end > start and not lines[end - 1]:
        end -= 1
    result = "\n".join(lines[start:end])
    if collapse:
        result = re.sub(r"\n{3,}", "\n\n", result)
    return result


_ASCII_LIKE = {"", "us-ascii", "ascii", "ansi_x3.4-1968", "unknown-8bit", "x-unknown", "default"}
# Mails that say Latin-1 are written in Windows-1252 (its superset), as browsers assume.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
}


def _decode(data: bytes, charset: str | None) -> str:
    """Bytes in the declared charset, else UTF-8, else Windows-1252 with replacements."""
    declared = (charset or "").strip().strip("\"'").lower()[:40]
    declared = _CHARSET_ALIASES.get(declared, declared)
    candidates = ["utf-8"] if declared in _ASCII_LIKE else [declared, "utf-8"]
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except Exception:  # noqa: S112 - LookupError, UnicodeError, a codec's own errors
            continue
    # Windows-1252 mislabelled as UTF-8 (or not labelled) is the usual mistake; a multi-byte
    # charset with a few bad bytes keeps its other characters.
    if declared not in _ASCII_LIKE and declared not in ("utf-8", "utf8"):
        try:
            return data.decode(declared, "replace")
        except Exception:  # noqa: S110 - an unknown or non-text codec: fall through
            pass
    return data.decode("cp1252", "replace")


# ---------------------------------------------------------------------------------------------
# Headers


_ID_CHARS = r"[!-;=?-~]"  # printable ASCII but < and >
_BRACKETED_ID = re.compile(rf"<\s*({_ID_CHARS}{{1,255}})\s*>")
_BARE_ID = re.compile(rf"^{_ID_CHARS}{{1,255}}@{_ID_CHARS}{{1,255}}$")
_ADDRESS = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+$")


def _capped(value: str) -> str:
    """At most HEADER_MAX characters, cut after a whole address or word when it is cut."""
    if len(value) <= HEADER_MAX:
        return value
    value = value[:HEADER_MAX]
    cut = max(value.rfind(","), value.rfind(" "))
    return value[:cut] if cut > HEADER_MAX - 1000 else value


class _Headers:
    """The raw values of a message's headers by lower-case name, read once (no parsing)."""

    def __init__(self, message: Message) -> None:
        self.values: dict[str, list[str]] = {}
        try:
            items = list(message.raw_items()) if hasattr(message, "raw_items") else []
        except Exception:
            items = []
        for name, value in items:
            values = self.values.setdefault(str(name).strip().lower(), [])
            if len(values) < HEADER_REPEAT_MAX:
                text = value if isinstance(value, str) else str(value)
                values.append(_capped(re.sub(r"\r?\n[ \t]*", " ", text[: HEADER_MAX * 2])))

    def has(self, name: str) -> bool:
        return name in self.values

    def first(self, name: str) -> str:
        values = self.values.get(name)
        return values[0] if values else ""

    def all(self, name: str) -> list[str]:
        return self.values.get(name, [])


def _addresses(value: str) -> list[tuple[str, str]]:
    """(display name, lower-case address) of each well-formed address in a header value."""
    try:
        addresses = POLICY.header_factory("to", _unescape(value)).addresses
    except Exception:
        addresses = ()
    found = []
    for address in addresses:
        try:
            spec, name = str(address.addr_spec), str(address.display_name or "")
        except Exception:  # noqa: S112 - a broken address is skipped
            continue
        spec = _clean(spec).strip().lower()
        if _ADDRESS.match(spec):
            found.append((_one_line(name), spec))
    return found


def _sender(value: str) -> tuple[str, str]:
    if not value:
        return "", ""
    addresses = _addresses(value)
    if addresses:
        return addresses[0]
    name, spec = parseaddr(_unescape(value))
    spec = _clean(spec).strip().lower()
    return (_one_line(name), spec) if _ADDRESS.match(spec) else ("", "")


def _subject(value: str) -> str:
    if not value:
        return ""
    try:
        return _one_line(str(POLICY.header_factory("subject", _unescape(value))))
    except Exception:
        return _one_line(value)


def _message_id(value: str) -> str:
    match = _BRACKETED_ID.search(value)
    if match:
        return match[1]
    value = value.strip()
    return value if _BARE_ID.match(value) else ""


def _message_ids(values: Sequence[str]) -> tuple[str, ...]:
    found: list[str] = []
    for value in values:
        ids = _BRACKETED_ID.findall(value)
        if not ids:  # a client that forgot the brackets
            ids = [token for token in re.split(r"[\s,]+", value) if _BARE_ID.match(token)]
        for message_id in ids:
            if message_id not in found:
                found.append(message_id)
            if len(found) >= IDS_MAX:
                return tuple(found)
    return tuple(found)


def _automatic(headers: _Headers) -> str:
    """Why a machine sent this mail, "" for a person (RFC 3834 and what servers really add).
    X-Auto-Response-Suppress is not one: Outlook puts it on mails people write."""
    if headers.has("auto-submitted"):
        keyword = headers.first("auto-submitted").split(";")[0].strip().lower()[:40]
        if keyword != "no":
            return f"Auto-Submitted: {keyword}" if keyword else "Auto-Submitted"
    for name, reason in (("x-autoreply", "X-Autoreply"), ("x-autorespond", "X-Autorespond")):
        if headers.has(name):
            return reason
    precedence = headers.first("precedence").split(";")[0].strip().lower()
    if precedence in ("bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    if headers.has("return-path") and headers.first("return-path").strip() in ("", "<>", "< >"):
        return "empty Return-Path"
    if headers.has("list-id") or headers.has("list-unsubscribe"):
        return "mailing list"
    return ""


# ---------------------------------------------------------------------------------------------
# MIME parts


def _content_type(part: Message) -> str:
    try:
        return str(part.get_content_type()).lower()
    except Exception:
        return "application/octet-stream"


def _param(part: Message, name: str) -> str:
    try:
        value = part.get_param(name, "", header="content-type")
    except Exception:
        return ""
    if isinstance(value, tuple):  # an RFC 2231 value the legacy API did not collapse
        value = value[2]
    return str(value or "").strip().lower()


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        return b""
    return data if isinstance(data, bytes) else b""


def _subparts(part: Message) -> list[Message]:
    try:
        payload = part.get_payload()
    except Exception:
        return []
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _safe_filename(name: str) -> str:
    """The last component of a decoded name, printable, at most 255 characters (extension
    kept): a mail may say `../../x` or `C:\\x`."""
    name = _one_line(name.replace("\x00", ""))
    name = re.split(r"[/\\]", name)[-1].strip().strip(".").strip()
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = f"{stem[: 254 - len(extension)]}.{extension}"
        else:
            name = name[:255]
    return name


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        return ""
    if not name:
        return ""
    name = str(name)
    if "=?" in name:  # encoded-words inside a quoted parameter (Outlook, Gmail), not RFC 2231
        with contextlib.suppress(Exception):  # else the name as it came
            name = str(make_header(decode_header(name)))
    return _safe_filename(name)


def _disposition(part: Message) -> str:
    try:
        return str(part.get_content_disposition() or "")
    except Exception:
        return ""


_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", re.I
)


def _text_of(part: Message, content_type: str) -> str:
    data = _payload(part)[:TEXT_BYTES_MAX]
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    if not charset and content_type == "text/html":
        match = _META_CHARSET.search(data[:4096])
        charset = match[1].decode("ascii") if match else None
    text = _decode(data, charset)
    if content_type == "text/plain" and _param(part, "format") == "flowed":
        text = _unflow(text, delsp=_param(part, "delsp") == "yes")
    return text


def _unflow(text: str, *, delsp: bool) -> str:
    """RFC 3676 format=flowed (Thunderbird's default): soft line breaks joined again."""
    lines: list[str] = []
    current: str | None = None
    depth = 0
    for raw_line in text.replace("\r\n", "\n").split("\n"):
        line_depth = len(raw_line) - len(raw_line.lstrip(">"))
        content = raw_line[line_depth:]
        if content.startswith(" "):
            content = content[1:]
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        if current is not None and line_depth != depth:
            lines.append(_quoted(depth, current))
            current = None
        current = content if current is None else current + content
        depth = line_depth
        if not flowed:
            lines.append(_quoted(depth, current))
            current = None
    if current is not None:
        lines.append(_quoted(depth, current))
    return "\n".join(lines)


def _quoted(depth: int, text: str) -> str:
    return f"{'>' * depth} {text}" if depth else text


def _headers_of_bytes(data: bytes) -> _Headers:
    try:
        return _Headers(BytesHeaderParser(policy=POLICY).parsebytes(data[:TEXT_BYTES_MAX]))
    except Exception:
        return _Headers(Message())


def _message_bytes(message: Message) -> bytes:
    try:
        return message.as_bytes(policy=POLICY.clone(max_line_length=0))
    except Exception:
        try:
            return message.as_bytes(policy=policy.compat32)
        except Exception:
            return b""


@dataclass
class _Walk:
    """What a walk through the parts found. Attached messages (message/rfc822) are files, not
    walked into; a multipart/report gives its first part as the text and nothing as files."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Part] = field(default_factory=list)
    report_type: str | None = None
    enclosed: bool = False  # a message/rfc822 or headers part, outside any report
    enclosed_ids: list[str] = field(default_factory=list)
    report_ids: list[str] = field(default_factory=list)
    visited: int = 0

    def visit(self, part: Message, depth: int) -> None:
        if self.visited >= PARTS_MAX or depth > DEPTH_MAX:
            return
        self.visited += 1
        content_type = _content_type(part)
        subparts = _subparts(part)
        if content_type.startswith("multipart/"):
            if content_type == "multipart/report":
                self._report(part, subparts, depth)
            elif content_type == "multipart/alternative":
                self._alternative(subparts, depth)
            else:
                for subpart in subparts:
                    self.visit(subpart, depth + 1)
            return
        if content_type in ("message/rfc822", "message/global") or subparts:
            self._enclosed_message(part, subparts)
            return
        if content_type in ("text/rfc822-headers", "message/rfc822-headers"):
            self.enclosed = True
            self._add_id(self.enclosed_ids, _headers_of_bytes(_payload(part)))
        filename, disposition = _filename(part), _disposition(part)
        body = content_type in ("text/plain", "text/html") and disposition != "attachment"
        if body and not filename:
            text = _text_of(part, content_type)
            (self.plain if content_type == "text/plain" else self.html).append(text)
            return
        if filename or disposition == "attachment":
            self._attach(Part(filename, content_type, _payload(part)))

    def _alternative(self, subparts: list[Message], depth: int) -> None:
        """The first alternative with plain text, the last (preferred) one with HTML."""
        outer_plain, outer_html = self.plain, self.html
        plain: list[str] = []
        html: list[str] = []
        for subpart in subparts:
            self.plain, self.html = [], []
            self.visit(subpart, depth + 1)
            if not plain and any(text.strip() for text in self.plain):
                plain = self.plain
            if self.html:
                html = self.html
        self.plain, self.html = outer_plain, outer_html
        self.plain.extend(plain)
        self.html.extend(html)

    def _report(self, part: Message, subparts: list[Message], depth: int) -> None:
        if self.report_type is None:
            self.report_type = _param(part, "report-type")
        if subparts:
            self.visit(subparts[0], depth + 1)
        for subpart in subparts[1:]:
            self.visited += 1
            content_type = _content_type(subpart)
            enclosed = _subparts(subpart)
            if enclosed:
                self._add_id(self.report_ids, _Headers(enclosed[0]))
            elif content_type in (
                "message/rfc822",
                "message/global",
                "text/rfc822-headers",
                "message/rfc822-headers",
                "message/global-headers",
            ):
                self._add_id(self.report_ids, _headers_of_bytes(_payload(subpart)))

    def _enclosed_message(self, part: Message, subparts: list[Message]) -> None:
        self.enclosed = True
        if subparts:
            headers = _Headers(subparts[0])
            content = _message_bytes(subparts[0])
        else:  # not parsed (a base64 message/rfc822): its headers from the bytes
            content = _payload(part)
            headers = _headers_of_bytes(content)
        self._add_id(self.enclosed_ids, headers)
        name = _filename(part)
        if not name:
            subject = re.sub(r'[\\/:*?"<>|]+', "_", _subject(headers.first("subject")))[:100]
            name = f"{subject.strip(' .') or 'message'}.eml"
        self._attach(Part(name, "message/rfc822", content))

    def _attach(self, part: Part) -> None:
        if len(self.attachments) < ATTACHMENTS_MAX:
            self.attachments.append(part)

    @staticmethod
    def _add_id(ids: list[str], headers: _Headers) -> None:
        message_id = _message_id(headers.first("message-id"))
        if message_id and message_id not in ids:
            ids.append(message_id)


# ---------------------------------------------------------------------------------------------
# HTML


_DROPPED = {
    "script", "style", "head", "title", "noscript", "template", "svg", "math", "object",
    "embed", "applet", "iframe", "frame", "frameset", "xml", "meta", "link", "img",
}  # fmt: skip
_PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table"}
_LINES = {
    "div", "li", "tr", "blockquote", "thead", "tbody", "tfoot", "caption", "ul", "ol",
    "dl", "dt", "dd", "pre", "hr", "section", "article", "header", "footer", "address",
    "center", "form", "fieldset", "figure", "figcaption", "main", "nav", "aside", "details",
    "summary",
}  # fmt: skip
_LINK_SCHEMES = ("http://", "https://", "ftp://")


class _Renderer:
    """HTML elements as text: blocks give line breaks (paragraphs a blank line), list items
    "- ", links "text (url)", whitespace collapsed as a browser does."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.trailing = 0  # newlines at the end of out
        self.wanted = 0  # newlines wanted before the next text
        self.line_start = True
        self.ends_space = False
        self.pre = 0
        self.lists = 0
        self.links: list[int] = []

    def _append(self, text: str) -> None:
        if not text:
            return
        self.out.append(text)
        stripped = text.rstrip("\n")
        newlines = len(text) - len(stripped)
        self.trailing = self.trailing + newlines if not stripped else newlines
        self.line_start = text.endswith("\n")
        self.ends_space = text.endswith(" ")

    def _flush(self) -> None:
        if self.wanted and self.out:
            self._append("\n" * max(0, self.wanted - self.trailing))
        self.wanted = 0

    def block(self, newlines: int) -> None:
        self.wanted = max(self.wanted, newlines)

    def br(self) -> None:
        self._flush()
        self._append("\n")

    def text(self, text: str) -> None:
        if self.pre:
            self._flush()
            self._append(text.replace("\r\n", "\n").replace("\xa0", " "))
            return
        if "\xa0" in text and text.strip() == "":
            # A non-breaking space is content: Outlook's blank line is <p>&nbsp;</p>.
            self._flush()
            self._append(" ")
            return
        text = _SPACES.sub(" ", text)
        if text.strip() == "":
            if text and not self.wanted and not self.line_start and not self.ends_space:
                self._append(" ")
            return
        self._flush()
        if self.line_start:
            text = text.lstrip()
        elif self.ends_space and text.startswith(" "):
            text = text[1:]
        self._append(text)

    def enter(self, tag: Tag) -> None:
        name = tag.name
        if name == "br":
            self.br()
        elif name in _PARAGRAPHS:
            # Outlook writes each line as <p class=MsoNormal>, and blank lines as empty ones.
            self.block(1 if "MsoNormal" in _classes(tag) else 2)
        elif name in ("td", "th"):
            if not self.line_start and not self.wanted and not self.ends_space:
                self._append(" ")
        elif name == "a":
            self.links.append(len(self.out))
        elif name in _LINES:
            self.block(1)
            if name in ("ul", "ol"):
                self.lists += 1
            elif name == "pre":
                self.pre += 1
            elif name == "li":
                self._flush()
                self._append("  " * max(0, self.lists - 1) + "- ")

    def leave(self, tag: Tag) -> None:
        name = tag.name
        if name in _PARAGRAPHS:
            self.block(1 if "MsoNormal" in _classes(tag) else 2)
        elif name == "a":
            start = self.links.pop() if self.links else len(self.out)
            self._link(tag, "".join(self.out[start:]).strip())
        elif name in _LINES:
            if name in ("ul", "ol"):
                self.lists = max(0, self.lists - 1)
            elif name == "pre":
                self.pre = max(0, self.pre - 1)
            self.block(1)

    def _link(self, tag: Tag, text: str) -> None:
        href = str(tag.get("href") or "").strip()
        if not text or not href:
            return
        shown = ""
        if href.lower().startswith(_LINK_SCHEMES):
            shown = href
        elif href.lower().startswith("mailto:"):
            shown = href[7:].split("?")[0]
        if shown and _comparable(shown) != _comparable(text):
            self.text(f" ({shown})")

    def result(self) -> str:
        return _tidy("".join(self.out), collapse=True)


def _classes(tag: Tag) -> list[str]:
    value = tag.get("class")
    if isinstance(value, str):
        return value.split()
    return [str(item) for item in value] if value else []


def _comparable(url: str) -> str:
    url = url.strip().lower()
    url = re.sub(r"^(https?|ftp)://", "", url)
    url = re.sub(r"^mailto:", "", url)
    return url.rstrip("/")


def _render(root: Tag) -> str:
    """Walk the tree without recursion: hostile HTML nests 100 000 deep."""
    renderer = _Renderer()
    stack: list[tuple[bool, PageElement]] = [(False, child) for child in reversed(root.contents)]
    while stack:
        leaving, node = stack.pop()
        if isinstance(node, Tag):
            if leaving:
                renderer.leave(node)
            elif node.name not in _DROPPED:
                renderer.enter(node)
                stack.append((True, node))
                stack.extend((False, child) for child in reversed(node.contents))
        elif isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            renderer.text(str(node))
    return renderer.result()


_OUTLOOK_HEADER_STYLE = re.compile(r"border-top\s*:\s*solid\s+#(?:E1E1E1|B5C4DF)", re.I)


def _remove_rest(element: Tag) -> None:
    """The element and everything after it in the document."""
    node: Tag | None = element
    while node is not None and node.name not in ("body", "html", "[document]"):
        for sibling in list(node.next_siblings):
            sibling.extract()
        node = node.parent
    element.extract()


def _remove_quotes(soup: BeautifulSoup) -> bool:
    """Remove the quoted history the mail clients mark; True if there was some."""
    found = False
    # Outlook: what follows these markers is the answered mail.
    for find in (
        lambda: soup.find(id="appendonsend"),
        lambda: soup.find(id="divRplyFwdMsg"),
        lambda: soup.find("div", style=_OUTLOOK_HEADER_STYLE),
    ):
        element = find()
        if isinstance(element, Tag):
            _remove_rest(element)
            found = True
    quotes = [
        *soup.find_all(class_=["gmail_quote", "gmail_quote_container", "yahoo_quoted"]),
        *soup.find_all("blockquote", attrs={"type": "cite"}),
        *soup.find_all("div", class_="moz-cite-prefix"),
        *soup.find_all(id="mail-editor-reference-message-container"),
    ]
    for element in quotes:
        if isinstance(element, Tag) and element.parent is not None:
            element.extract()
            found = True
    return found


def _soup(html: str) -> BeautifulSoup | None:
    try:
        return BeautifulSoup(html[:HTML_MAX], "html.parser")
    except Exception:
        return None


def _html_fallback(html: str) -> str:
    import html as html_module

    text = re.sub(r"(?is)<(script|style|head|title)\b.*?</\1\s*>", " ", html[:HTML_MAX])
    text = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h[1-6]|blockquote)\s*>", "\n", text)
    text = html_module.unescape(re.sub(r"<[^>]*>", " ", text))
    return _tidy("\n".join(" ".join(line.split()) for line in text.split("\n")), collapse=True)


def _html_texts(html: str) -> tuple[str, str, bool]:
    """The HTML as text, as text without its quoted history, and whether it had some."""
    soup = _soup(html)
    if soup is None:
        text = _html_fallback(html)
        return text, text, False
    try:
        full = _render(soup)
        found = _remove_quotes(soup)
        return full, (_render(soup) if found else full), found
    except Exception:
        text = _html_fallback(html)
        return text, text, False


def html_to_text(html: str) -> str:
    """The text a reader sees in an HTML mail: no script, style or tag left, entities decoded,
    blocks as lines, list items as "- ", links as "text (url)"."""
    return _html_texts(html)[0]


# ---------------------------------------------------------------------------------------------
# The new text of a reply


_ATTRIBUTION_START = re.compile(r"^(le|on|am|el|il|op)\s", re.I)
_ATTRIBUTION = re.compile(
    r"^(le|on|am|el|il|op)\s.*\d.*\s"
    r"((a\s+écrit|wrote|escribió|ha\s+scritto|schreef)\s*|schrieb\s.{1,200}):$",
    re.I | re.S,
)
_LOOSE_ATTRIBUTION = re.compile(
    r"(a\s+écrit|wrote|schrieb|escribió|ha\s+scritto|schreef)\s*:$", re.I
)
_SEPARATOR = re.compile(
    r"^-{2,}\s*(message\s+d['\u2019]origine|original\s+message|mail\s+original|message\s+original|"
    r"ursprüngliche\s+nachricht|messaggio\s+originale|mensaje\s+original)\s*-{2,}$",
    re.I,
)
_HEADER_FROM = re.compile(r"^\*?\s*(de|from|von|da)\s*:\s*\*?\s*\S", re.I)
_HEADER_NEXT = re.compile(
    r"^\*?\s*(envoyé|envoye|sent|date|gesendet|inviato|enviado)(\s+le)?\s*:", re.I
)
_UNDERSCORES = re.compile(r"^_{8,}$")
# Outlook's plain text shows an inline image (a logo in the signature) as [cid:image001.png@…].
_INLINE_IMAGE = re.compile(r"^\[cid:[^\]\s]+\]$")
_LINK_TAIL = r"(\s*(<[^>\s]+>|\([^)\s]+\)))?"
_FOOTERS = (
    re.compile(
        r"^(envoyé|envoye)\s+(de|depuis|à\s+partir\s+de|a\s+partir\s+de)\s+"
        r"(mon|ma|mes|l['\u2019]application|outlook|courrier|yahoo|mail)\b.{0,60}$",
        re.I,
    ),
    re.compile(r"^sent\s+from\s+(my|outlook|mail|yahoo)\b.{0,60}$", re.I),
    re.compile(
        rf"^(obtenir|télécharger|get)\s+outlook\s+(pour|for)\s+(android|ios){_LINK_TAIL}$", re.I
    ),
)


def _is_footer(line: str) -> bool:
    return any(pattern.match(line) for pattern in _FOOTERS)


def _attribution_end(lines: list[str], index: int) -> int:
    """The index after a « Le …, X a écrit : » line (wrapped over up to 3 lines), -1 if none."""
    if not _ATTRIBUTION_START.match(lines[index].lstrip()):
        return -1
    joined = ""
    for position in range(index, min(index + 3, len(lines))):
        piece = lines[position].strip()
        if position > index and (not piece or piece.startswith(">")):
            break
        joined = f"{joined} {piece}".strip()
        if len(joined) > 500:
            break
        if _ATTRIBUTION.match(joined):
            return position + 1
    return -1


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def _history_start(lines: list[str], index: int) -> bool:
    """Does a quoted history start at this line (other than an attribution)?"""
    line = lines[index].strip()
    if _SEPARATOR.match(line):
        return True
    following = [
        candidate.strip() for candidate in lines[index + 1 : index + 6] if candidate.strip()
    ]
    if _UNDERSCORES.match(line):
        return bool(following) and bool(_HEADER_FROM.match(following[0]))
    if _HEADER_FROM.match(line):
        return any(_HEADER_NEXT.match(candidate) for candidate in following[:4])
    return False


def _blocks_after(lines: list[str], start: int) -> list[tuple[str, int]]:
    """The runs of quoted ("Q") and unquoted ("T") lines from start to the signature, blank
    lines ignored: (kind, index after the run)."""
    blocks: list[tuple[str, int]] = []
    for position in range(start, len(lines)):
        line = lines[position]
        if line.rstrip() == "--" or _is_footer(line.strip()):
            break
        if not line.strip():
            continue
        kind = "Q" if _is_quote(line) else "T"
        if blocks and blocks[-1][0] == kind:
            blocks[-1] = (kind, position + 1)
        else:
            blocks.append((kind, position + 1))
    return blocks


def _strip(text: str) -> tuple[str, bool]:
    """The new text, and whether a history, a signature or a quote was recognised."""
    lines = _tidy(text).split("\n")
    kept: list[str] = []
    recognised = False
    index = 0
    while index < len(lines):
        line = lines[index]
        if line == "--" or _is_footer(line.strip()) or _history_start(lines, index):
            recognised = True
            break
        end = _attribution_end(lines, index)
        if end >= 0:
            recognised = True
            blocks = _blocks_after(lines, end)
            if not blocks or blocks[0][0] == "T" or len(blocks) == 1:
                break  # top-posting: the history follows (quoted or not)
            if len(blocks) == 2:
                index = blocks[0][1]  # bottom-posting: the answer follows the quote
                continue
            # Answers between the quotes: keep them with the questions they answer.
            kept.extend(lines[index:end])
            index = end
            continue
        if not _INLINE_IMAGE.match(line.strip()):
            kept.append(line)
        index += 1
    # A quote block at the end (and its attribution) is history too.
    while kept and not kept[-1].strip():
        kept.pop()
    if kept and _is_quote(kept[-1]):
        recognised = True
        while kept and (not kept[-1].strip() or _is_quote(kept[-1])):
            kept.pop()
        while kept and not kept[-1].strip():
            kept.pop()
        if kept and _LOOSE_ATTRIBUTION.search(kept[-1].strip()):
            kept.pop()
    return _tidy("\n".join(kept)), recognised


def strip_reply(text: str) -> str:
    """The new text of a reply: the quoted history (« Le … a écrit : », « De : … Envoyé : »,
    « -----Message d'origine----- », a trailing "> " block), the signature after "-- " and the
    mobile footers cut off. Never empty for a non-empty text: when nothing new is left, the
    text without its "> " lines, else the whole text."""
    return _reply(text)


def _reply(text: str) -> str:
    stripped, _ = _strip(text)
    if stripped:
        return stripped
    unquoted = _tidy("\n".join(line for line in text.splitlines() if not _is_quote(line)))
    return unquoted or _tidy(text)


# ---------------------------------------------------------------------------------------------
# Plus-addresses

_TAG = re.compile(r"[A-Za-z0-9._=-]{1,200}")


def reply_token(recipients: Sequence[str], local_part: str) -> str:
    """The tag of the first recipient `local_part+tag@…` (local part compared without case),
    "" when none: `support+0000123.AbC-d_9@x.fr` → `0000123.AbC-d_9`."""
    prefix = local_part.strip().lower() + "+"
    if prefix == "+":
        return ""
    for recipient in recipients:
        local, at, _domain = str(recipient).strip().strip("<>").rpartition("@")
        if at and local.lower().startswith(prefix):
            tag = local[len(prefix) :]
            if _TAG.fullmatch(tag):
                return tag
    return ""


# ---------------------------------------------------------------------------------------------
# The mail


def _digest(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _parse_message(raw: bytes) -> tuple[Message, bool]:
    """The message, and whether its body could be read (deep nesting exhausts the parser's
    recursion: then its headers only)."""
    try:
        return BytesParser(policy=POLICY).parsebytes(raw), True
    except Exception:
        try:
            return BytesHeaderParser(policy=POLICY).parsebytes(raw), False
        except Exception:
            return Message(), False


def _bodies(walk: _Walk) -> tuple[str, str]:
    plain = _tidy("\n".join(walk.plain))[:TEXT_MAX] if walk.plain else ""
    html = "\n".join(walk.html)
    return plain, html


def _texts(plain: str, html: str) -> tuple[str, str]:
    """(text, reply): the plain text is preferred, HTML read as text when there is none. The
    reply comes from the plain text when its history is recognised there, else from the HTML's
    marked quotes (a Gmail in German, an Outlook without text markers)."""
    if plain:
        reply, recognised = _strip(plain)
        if recognised or not html:
            return plain, reply or _reply(plain)
        _full, stripped, found = _html_texts(html)
        if found:
            html_reply, _ = _strip(stripped)
            if html_reply:
                return plain, html_reply
        return plain, reply or _reply(plain)
    if html:
        full, stripped, found = _html_texts(html)
        if found:
            reply, _ = _strip(stripped)
            if reply:
                return full, reply
        return full, _reply(full) if full else ""
    return "", ""


def parse(raw: bytes) -> Incoming:
    """Read one mail; never raises (a field it cannot read is empty)."""
    raw = bytes(raw)
    try:
        return _parse(raw)
    except Exception:
        return unreadable(raw)


def unreadable(raw: bytes) -> Incoming:
    """What is known of a message that could not be read: its digest and size."""
    return Incoming(
        key=_digest(raw),
        message_id="",
        sender="",
        sender_name="",
        recipients=(),
        subject="",
        in_reply_to=(),
        references=(),
        text="",
        reply="",
        attachments=(),
        automatic="",
        bounce=False,
        bounced_ids=(),
        size=len(raw),
    )


def _parse(raw: bytes) -> Incoming:
    message, complete = _parse_message(raw)
    headers = _Headers(message)
    message_id = _message_id(headers.first("message-id"))
    sender_name, sender = _sender(headers.first("from"))
    recipients: list[str] = []
    for name in ("to", "cc", "delivered-to", "x-original-to"):
        for value in headers.all(name):
            for _name, address in _addresses(value):
                if address not in recipients:
                    recipients.append(address)

    walk = _Walk()
    if complete:
        # DEPTH_MAX keeps far from the recursion limit; this is a last guard.
        with contextlib.suppress(RecursionError):
            walk.visit(message, 0)
    plain, html = _bodies(walk)
    text, reply = _texts(plain, html)

    automatic = _automatic(headers)
    bounce = False
    bounced_ids: list[str] = []
    if walk.report_type is not None:
        automatic = automatic or "multipart/report"
        if walk.report_type == "delivery-status":
            bounce, bounced_ids = True, walk.report_ids
    elif walk.enclosed and sender.split("@")[0] in ("mailer-daemon", "postmaster"):
        bounce, bounced_ids = True, walk.enclosed_ids
        automatic = automatic or "bounce"

    return Incoming(
        key=message_id or _digest(raw),
        message_id=message_id,
        sender=sender,
        sender_name=sender_name,
        recipients=tuple(recipients),
        subject=_subject(headers.first("subject")),
        in_reply_to=_message_ids(headers.all("in-reply-to")),
        references=_message_ids(headers.all("references")),
        text=text,
        reply=reply,
        attachments=tuple(walk.attachments),
        automatic=automatic,
        bounce=bounce,
        bounced_ids=tuple(bounced_ids),
        size=len(raw),
    )
