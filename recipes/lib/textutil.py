"""Small helpers shared by the recipe scripts (standard library only)."""
import os
import re
import tempfile

_MARKUP = re.compile(r"\[\[([^|\]]+)\|[^\]]+\]\]")


def strip_markup(text):
    """'take [[aspirin|drug]] now' -> 'take aspirin now'."""
    return _MARKUP.sub(r"\1", text)


def norm_key(text):
    """An approximation of jstip's normalize_text, good enough as a
    deduplication key: markup removed, ASCII lower case, apostrophes inside
    words kept, other punctuation separates words."""
    text = strip_markup(text).lower().replace("\u2019", "'")
    return " ".join(w.strip("'") for w in re.findall(r"[a-z0-9']+", text) if w.strip("'"))


def write_atomic(path, content):
    """Write a file through a temporary file in the same folder and rename."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=os.path.basename(path) + ".tmp.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
