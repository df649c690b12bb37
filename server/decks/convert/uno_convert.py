"""deckcast's LibreOffice driver: one warm soffice listener per process, jobs on stdin.

Run with Debian's python3 (/usr/bin/python3, which has the `uno` module):

    uno_convert.py --profile DIR --pipe NAME

It starts soffice in this process's own process group (the Node side started us with
`detached`, so killing the group kills soffice.bin too), waits until it accepts UNO
connections, converts a generated one-slide deck (text, picture) to warm up, prints
{"ready": true, "pid": N, "samplePdf": "/profile/warm-up.pdf"}, and then reads one JSON
job a line:

    {"id": 1, "src": "/abs/in.pptx", "out": "/abs/out.pdf",
     "importFilter": "Impress MS PowerPoint 2007 XML", "exportFilter": "impress_pdf_Export",
     "password": null}

and answers one JSON line per job:

    {"id": 1, "ok": true, "ms": 812}
    {"id": 1, "ok": false, "code": "password-protected" | "conversion-failed", "message": "..."}

Loading is locked down: hidden, read-only, macros never run (MacroExecutionMode NEVER),
links never updated, linked pictures never fetched from the network or the server's disk
(see lock_down), and an interaction handler that aborts every request, so a password
prompt or any other dialog fails the job at once instead of hanging. `password` (optional)
encrypts the stored output; deckcast only uses it to generate test documents.
stdin EOF ends the process (and soffice with it).
"""
import ctypes
import json
import os
import select
import signal
import struct
import subprocess
import sys
import time
import zlib

import uno
import unohelper
from com.sun.star.beans import PropertyValue
from com.sun.star.task import XInteractionHandler

SOFFICE = "/usr/lib/libreoffice/program/soffice"
NEVER_EXECUTE = 0  # com.sun.star.document.MacroExecMode.NEVER_EXECUTE
# How long stdin must stay quiet before the last converted document is closed.
IDLE_S = 0.25
NO_UPDATE = 0  # com.sun.star.document.UpdateDocMode.NO_UPDATE
ABORT_TYPE = uno.getTypeByName("com.sun.star.task.XInteractionAbort")
PASSWORD_TYPE = uno.getTypeByName("com.sun.star.task.XInteractionPassword")
# Where LibreOffice is told its proxy is: nothing listens on the discard port of loopback.
DEAD_PROXY = "127.0.0.1"
DEAD_PORT = 9



def prop(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


class AbortAll(unohelper.Base, XInteractionHandler):
    """Answers every interaction with Abort and remembers what was asked."""

    def __init__(self):
        self.requests = []

    def handle(self, request):
        # request.getRequest() raises SystemError in pyuno for password requests (their Any
        # payload does not convert), so tell them apart by their continuations instead.
        conts = request.getContinuations()
        if any(c.queryInterface(PASSWORD_TYPE) for c in conts):
            self.requests.append("password")
        else:
            self.requests.append("other")
        for c in conts:
            if c.queryInterface(ABORT_TYPE):
                c.select()
                return


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def start_office(profile, pipe):
    args = [
        SOFFICE, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
        "--nolockcheck", "--nofirststartwizard",
        "--accept=pipe,name=%s;urp;StarOffice.ComponentContext" % pipe,
        "-env:UserInstallation=" + uno.systemPathToFileUrl(profile),
    ]
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def connect(pipe, office, deadline_s=60.0):
    """Waits for soffice to accept UNO connections; returns its component context and desktop."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    url = "uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe
    end = time.monotonic() + deadline_s
    while True:
        try:
            ctx = resolver.resolve(url)
            return ctx, ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except Exception:
            if office.poll() is not None:
                raise RuntimeError("soffice exited with status %s during start" % office.returncode)
            if time.monotonic() > end:
                raise RuntimeError("soffice did not accept connections in %ss" % deadline_s)
            time.sleep(0.05)


def lock_down(ctx):
    """Keeps an uploaded document from reaching outside itself while it converts.

    A deck can link (not embed) pictures by URL: LibreOffice would fetch http(s) links from
    the server's network and draw file:// links from the server's disk into the PDF.
    BlockUntrustedRefererLinks stops both; a dead proxy stops any other fetch over http(s)
    or ftp. Set in this worker's own profile, before any document is loaded.
    """
    provider = ctx.ServiceManager.createInstanceWithContext("com.sun.star.configuration.ConfigurationProvider", ctx)

    def update(path, **values):
        node = provider.createInstanceWithArguments("com.sun.star.configuration.ConfigurationUpdateAccess", (prop("nodepath", path),))
        for key, value in values.items():
            node.setPropertyValue(key, value)
        node.commitChanges()

    update("/org.openoffice.Office.Common/Security/Scripting", BlockUntrustedRefererLinks=True)
    update("/org.openoffice.Inet/Settings", ooInetProxyType=1, ooInetNoProxy="",
           ooInetHTTPProxyName=DEAD_PROXY, ooInetHTTPProxyPort=DEAD_PORT,
           ooInetHTTPSProxyName=DEAD_PROXY, ooInetHTTPSProxyPort=DEAD_PORT,
           ooInetFTPProxyName=DEAD_PROXY, ooInetFTPProxyPort=DEAD_PORT)


def convert(desktop, job):
    """Loads and exports one file; returns (result, document to close or None)."""
    handler = AbortAll()
    load = (
        prop("Hidden", True),
        prop("ReadOnly", True),
        prop("MacroExecutionMode", NEVER_EXECUTE),
        prop("UpdateDocMode", NO_UPDATE),
        prop("FilterName", job["importFilter"]),
        prop("InteractionHandler", handler),
    )
    try:
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(job["src"]), "_blank", 0, load)
    except Exception as e:  # IOException / IllegalArgumentException from the filter
        return failure(handler, "LibreOffice could not load the file: %s" % (getattr(e, "Message", "") or type(e).__name__)), None
    if doc is None:
        return failure(handler, "LibreOffice could not load the file"), None
    try:
        store = [prop("FilterName", job["exportFilter"])]
        if job.get("password"):
            store.append(prop("Password", job["password"]))
        doc.storeToURL(uno.systemPathToFileUrl(job["out"]), tuple(store))
        return {"ok": True}, doc
    except Exception as e:
        return {"ok": False, "code": "conversion-failed", "message": "LibreOffice could not export the file: %s" % (getattr(e, "Message", "") or type(e).__name__)}, doc


def close(doc):
    """Closes a document; never raises (the answer for it is already out)."""
    try:
        doc.close(True)
        return
    except Exception as e:  # vetoed (still busy), or soffice is gone
        first = e
    try:
        doc.dispose()  # frees it regardless
    except Exception as e:
        sys.stderr.write("uno_convert: a document did not close: %s; %s\n" % (first, e))


def warm_up(ctx, desktop, profile):
    """Runs one real conversion so the first deck does not pay for loading code.

    Loads Writer once, then makes a one-slide PPTX with text and a picture, converts it to
    PDF the way decks are converted, and returns that PDF's path (the server reads it with
    pdf.js to warm that up too). Without this the first deck on a worker takes ~1 s longer.
    (A table and a chart made here over UNO once failed a worker's start in three tries,
    so they are left out; the first deck with those still loads their code.)
    """
    doc = desktop.loadComponentFromURL("private:factory/swriter", "_blank", 0, (prop("Hidden", True),))
    if doc is not None:
        close(doc)
    pptx = os.path.join(profile, "warm-up.pptx")
    pdf = os.path.join(profile, "warm-up.pdf")
    doc = desktop.loadComponentFromURL("private:factory/simpress", "_blank", 0, (prop("Hidden", True),))
    try:
        page = doc.DrawPages.getByIndex(0)

        def add(kind, x, y, w, h):
            shape = doc.createInstance(kind)
            page.add(shape)
            shape.setPosition(uno.createUnoStruct("com.sun.star.awt.Point", x, y))
            shape.setSize(uno.createUnoStruct("com.sun.star.awt.Size", w, h))
            return shape

        add("com.sun.star.drawing.TextShape", 1000, 1000, 20000, 2000).setString("deckcast warm-up: Übersicht & naïve café 123")
        picture = os.path.join(profile, "warm-up.png")
        write_png(picture, 64, 48)
        graphics = ctx.ServiceManager.createInstanceWithContext("com.sun.star.graphic.GraphicProvider", ctx)
        add("com.sun.star.drawing.GraphicObjectShape", 19000, 4000, 4000, 3000).Graphic = graphics.queryGraphic((prop("URL", uno.systemPathToFileUrl(picture)),))
        doc.storeToURL(uno.systemPathToFileUrl(pptx), (prop("FilterName", "Impress MS PowerPoint 2007 XML"),))
    except Exception as e:  # a worker that cannot warm up still converts: say so and go on
        sys.stderr.write("uno_convert: warm-up deck not made: %s: %s\n" % (type(e).__name__, e))
        close(doc)
        return None
    close(doc)
    res, doc = convert(desktop, {"src": pptx, "out": pdf, "importFilter": "Impress MS PowerPoint 2007 XML", "exportFilter": "impress_pdf_Export"})
    if doc is not None:
        close(doc)
    return pdf if res.get("ok") else None


def write_png(path, width, height):
    """A small RGB gradient PNG (for the warm-up slide's picture)."""
    rows = b"".join(b"\x00" + b"".join(bytes(((x * 4) % 256, (y * 5) % 256, 160)) for x in range(width)) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def failure(handler, message):
    if "password" in handler.requests:
        return {"ok": False, "code": "password-protected", "message": "the document is protected by a password"}
    detail = ("; asked: " + ", ".join(handler.requests)) if handler.requests else ""
    return {"ok": False, "code": "conversion-failed", "message": message + detail}


def jobs(quiet_after):
    """Yields one job a line from stdin, and None once stdin has been quiet for
    `quiet_after()` seconds (never, while that is None).

    Reads the descriptor directly (not sys.stdin's buffer), so select() sees every line.
    """
    fd = sys.stdin.fileno()
    buf = b""
    while True:
        while b"\n" not in buf:
            ready, _, _ = select.select([fd], [], [], quiet_after())
            if not ready:
                yield None
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return  # EOF: the Node side wants us gone
            buf += chunk
        line, buf = buf.split(b"\n", 1)
        if line.strip():
            yield json.loads(line)


def serve(desktop):
    """Converts jobs until stdin ends.

    A converted document is closed once the worker is idle, not right after its answer:
    closing takes 20-50 ms of CPU, which would otherwise compete with the server reading
    the PDF (and, for a deck in parts, with the other part still converting). At most one
    document waits: a second job closes the first before it starts.
    """
    waiting = None
    for job in jobs(lambda: IDLE_S if waiting is not None else None):
        if waiting is not None:  # quiet for IDLE_S, or the next job is here
            close(waiting)
            waiting = None
        if job is None:
            continue
        t0 = time.monotonic()
        try:
            res, waiting = convert(desktop, job)
        except Exception as e:
            res = {"ok": False, "code": "conversion-failed", "message": "%s: %s" % (type(e).__name__, getattr(e, "Message", "") or e)}
        res["id"] = job.get("id")
        res["ms"] = round((time.monotonic() - t0) * 1000)
        emit(res)
    if waiting is not None:
        close(waiting)


def kill_group(*_):
    """Ends soffice and this driver together: the whole process group Node started."""
    os.killpg(os.getpgid(0), signal.SIGKILL)


def die_with_parent():
    """Asks Linux to SIGTERM this process when Node exits, however it exits."""
    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError as e:
        sys.stderr.write("prctl unavailable (%s): soffice may outlive a crashed server\n" % e)
    if os.getppid() == 1:
        kill_group()  # the parent is already gone


def main():
    signal.signal(signal.SIGTERM, kill_group)
    die_with_parent()
    argv = sys.argv[1:]
    profile = argv[argv.index("--profile") + 1]
    pipe = argv[argv.index("--pipe") + 1]
    office = start_office(profile, pipe)
    clean = False
    try:
        ctx, desktop = connect(pipe, office)
        lock_down(ctx)
        sample = warm_up(ctx, desktop, profile)
        emit({"ready": True, "pid": office.pid, "samplePdf": sample})
        serve(desktop)
        desktop.terminate()
        office.wait(timeout=10)
        clean = True
    except Exception as e:
        sys.stderr.write("uno_convert: %s: %s\n" % (type(e).__name__, e))
        try:
            emit({"ready": False, "message": str(e)})
        except OSError:
            pass  # stdout is gone with the parent: nobody to tell
    finally:
        if not clean:
            kill_group()  # never leave soffice.bin behind (killing the wrapper alone orphans it)


if __name__ == "__main__":
    main()
