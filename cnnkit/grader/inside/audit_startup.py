# Kernel startup file, installed by the grading sandbox's runner; runs before any notebook cell.
#
# Adds a Python audit hook (PEP 578; a hook cannot be removed once added) that
# reports what notebook code does beyond computing: imports, file access outside
# the usual places, processes, sockets, ctypes, gc, frame and tracing tricks,
# patching library classes, dynamic code. Each report is one JSON line on a
# FIFO that the runner forwards to the grader, which attributes it to a cell and
# writes the integrity report. The grader never trusts these lines for marks.
def _cnnkit_install_audit():
    import json
    import os
    import sys
    import tempfile
    import threading

    path = os.environ.pop("CNNKIT_AUDIT_FIFO", None)
    if not path:
        return
    fd = os.open(path, os.O_WRONLY)
    os.set_inheritable(fd, False)

    # Reported when the code that made the call is notebook code (the innermost Python frame):
    # libraries do these things all the time on their own behalf.
    immediate = frozenset({
        "exec", "compile", "code.__new__", "function.__new__", "marshal.loads",
        "ctypes.dlopen", "ctypes.dlsym", "ctypes.addressof", "ctypes.cdata", "ctypes.string_at",
        "ctypes.call_function", "gc.get_objects", "gc.get_referrers", "gc.get_referents",
        "sys._getframe", "sys._current_frames", "object.__setattr__", "object.__delattr__",
        "os.listdir", "os.scandir",
    })
    # Reported when notebook code caused them, through any library.
    caused = frozenset({
        "os.system", "os.exec", "os.posix_spawn", "os.fork", "os.forkpty", "subprocess.Popen",
        "os.kill", "os.killpg", "signal.pthread_kill",
        "socket.connect", "socket.bind", "socket.sendto", "socket.getaddrinfo",
        "sys.settrace", "sys.setprofile", "sys.addaudithook",
        "os.remove", "os.rename", "os.rmdir", "os.chmod", "os.symlink", "os.link", "os.truncate",
        "shutil.rmtree", "os.chdir",
    })
    libraries = tuple(sorted({os.path.realpath(p) + os.sep for p in
                              (sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.__file__))}))
    quiet_paths = libraries + ("/usr/", "/proc/self/", "/proc/cpuinfo", "/proc/meminfo", "/sys/", "/dev/null",
                               "/dev/urandom", "/etc/localtime", "/etc/mime.types", "/etc/fonts/", "/etc/ld.so")
    cell_prefix = os.path.join(tempfile.gettempdir(), "ipykernel_")
    local = threading.local()
    seen = {}
    state = {"n": 0}
    write, dumps, getframe = os.write, json.dumps, sys._getframe

    def short(value):
        text = repr(value)
        return text if len(text) <= 200 else text[:197] + "..."

    def kind(name):
        if name.startswith(cell_prefix):
            return "cell:" + name.rsplit(os.sep, 1)[-1]
        if name.startswith("<frozen"):
            return "frozen"
        if name.startswith(libraries):
            return "lib"
        return "code:" + name

    def where():
        """The innermost frame's kind, the first outside the import machinery, the first outside
        any library (None when an import runs in between: a library importing itself), and the
        notebook cells on the stack."""
        frame, innermost, importer, actor, cells, importing = getframe(2), None, None, None, [], False
        while frame is not None:
            what = kind(frame.f_code.co_filename)
            innermost = innermost or what
            if importer is None and what != "frozen":
                importer = what
            if actor is None and what == "frozen":
                importing = True
            if actor is None and what not in ("frozen", "lib"):
                actor = "import" if importing else what
            if what.startswith("cell:"):
                cells.append([what[5:], frame.f_lineno])
            frame = frame.f_back
        return innermost, importer, actor, cells

    def notebook(what):
        return what is not None and what.startswith(("cell:", "code:"))

    def hook(event, args):
        if getattr(local, "busy", False):
            return
        if event == "open":
            target = args[0]
            if not isinstance(target, (str, bytes)):
                return
            target = os.fsdecode(target)
            if target.startswith(quiet_paths) or os.path.realpath(target).startswith(quiet_paths):
                return
        elif event != "import" and event not in immediate and event not in caused:
            return
        local.busy = True
        try:
            innermost, importer, actor, cells = where()
            if event == "import":
                actor = importer if notebook(importer) else None
            elif event in immediate:
                actor = innermost if notebook(innermost) else None
            if actor is None or actor == "import":
                return
            if event == "open":
                detail = [os.fsdecode(args[0]), str(args[1])]
            elif event in ("object.__setattr__", "object.__delattr__"):
                owner = args[0]
                detail = [str(getattr(owner, "__module__", "?")), str(getattr(owner, "__qualname__", short(owner))),
                          str(args[1])]
            elif event == "import":
                detail = [str(args[0])]
            else:
                detail = [short(a) for a in args[:3]]
            key = (event, actor, str(detail))
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > 3 or state["n"] >= 5000:
                return
            state["n"] += 1  # a forked child continues from its parent's count, in its own sequence
            line = dumps({"pid": os.getpid(), "n": state["n"], "event": event, "actor": actor, "cells": cells[:6],
                          "detail": detail})
            write(fd, (line + "\n").encode())
        except Exception:
            pass
        finally:
            local.busy = False

    sys.addaudithook(hook)


_cnnkit_install_audit()
del _cnnkit_install_audit
