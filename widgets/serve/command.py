"""``threat-workbench serve``: the workbench as a web app for workshops (see docs/serve.md).

Panel is imported only when the command runs (:mod:`widgets.serve.server`), so
``threat-workbench --help`` and ``import workbench`` stay quick.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import secrets
import socket
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from workbench.cli_options import add_catalog_options

LOOPBACK_NAMES = {"localhost"}
ORIGIN_HOST = re.compile(r"([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(:[0-9]{1,5})?")
"""``--allow-origin`` values: a host name or address, optionally with a port."""
DEFAULT_PORTS = {"http": ":80", "https": ":443"}
REFUSAL = (
    "refusing to listen on {address} without a token: anyone who can reach it could "
    "read and change the sessions. A token is needed: pass --token TOKEN (or --token auto)."
)


def add_commands(sub: Any) -> None:
    """Add ``serve`` to the CLI's subparsers."""
    s = sub.add_parser(
        "serve",
        help="serve the workbench as a web app (one model per browser session, or shared)",
        description="Serve the workbench canvas, inspector and threat panel as a Panel web "
        "app. Every browser session edits its own copy of FILE (or of the rag_assistant "
        "template); nothing is written on the server: use Download YAML. With --shared, "
        "everyone edits FILE together (a shared room) and every change is saved to it; "
        "given a folder, each model file in it is a room.",
    )
    s.add_argument(
        "file",
        type=Path,
        nargs="?",
        metavar="FILE",
        help="starting model (with --shared: the model file of the room, or a folder of them)",
    )
    s.add_argument(
        "--shared",
        action="store_true",
        help="one shared room per model file: everyone edits the same model, and every "
        "change is saved to the file",
    )
    s.add_argument(
        "--facilitator-token",
        metavar="TOKEN",
        help="with --shared: the token of the facilitator's view (freeze editing, reveal "
        "the threats, export); 'auto' makes one. Participants then see the threats only "
        "once the facilitator reveals them",
    )
    s.add_argument("--address", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    s.add_argument(
        "--port", type=port_number, default=5006, help="port (default: 5006; 0 picks a free one)"
    )
    s.add_argument(
        "--token",
        help="access token every request must carry (open the printed URL with ?token=T "
        "once: the server swaps it for a cookie and drops it from the address); 'auto' "
        "makes one; required for any address other than loopback",
    )
    s.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        type=origin,
        metavar="HOST[:PORT]",
        help="also accept requests and websockets from pages served at HOST[:PORT] (for "
        "example a TLS proxy's name); repeatable. By default only the server's own origin "
        "is accepted",
    )
    s.add_argument(
        "--template", "-t", default="rag_assistant", help="starting template without FILE"
    )
    s.add_argument(
        "--no-show", action="store_true", default=True, help="never open a browser (default)"
    )
    add_catalog_options(s)
    s.set_defaults(func=_serve)


def port_number(text: str) -> int:
    """``--port``: an integer from 0 to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 65535")
    return value


def origin(text: str) -> str:
    """``--allow-origin``: ``HOST[:PORT]`` or an origin such as ``https://HOST[:PORT]``,
    as the ``host[:port]`` of a browser's ``Origin`` header (lowercase, without the
    scheme's default port)."""
    value = text.strip().lower()
    if "://" in value:
        parts = urlsplit(value)
        if parts.path.strip("/") or parts.query or parts.fragment:
            raise argparse.ArgumentTypeError(f"'{text}' is not an origin (scheme://host[:port])")
        value = parts.netloc
        default = DEFAULT_PORTS.get(parts.scheme, "")
        if default and value.endswith(default):
            value = value.removesuffix(default)
    if not ORIGIN_HOST.fullmatch(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not HOST or HOST:PORT")
    return value


def is_loopback(address: str) -> bool:
    """Whether ``address`` only accepts connections from this machine."""
    if address.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def check_address(address: str, token: str | None) -> str | None:
    """The reason to refuse binding ``address`` with ``token`` (``None``: go ahead)."""
    if not token and not is_loopback(address):
        return REFUSAL.format(address=address)
    return None


def free_port(address: str) -> int:
    """A port that is free on ``address`` right now."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((address.strip("[]"), 0))
        port: int = s.getsockname()[1]
        return port


def app_url(address: str, port: int, token: str | None) -> str:
    """The URL to open (with the token)."""
    host = "127.0.0.1" if address in ("0.0.0.0", "::", "") else address  # noqa: S104
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}/" + (f"?token={token}" if token else "")


def _load(args: argparse.Namespace, err: TextIO) -> tuple[Any, Any] | None:
    """The starting model and the catalog, or ``None`` after printing the problems."""
    from workbench.catalog import load_catalog
    from workbench.errors import ModelFileError, print_problems
    from workbench.model import ThreatModel

    try:
        catalog = load_catalog(*args.catalog, builtin=not args.no_builtin)
        if args.file is None:
            return ThreatModel.from_template(args.template), catalog
        return ThreatModel.load(args.file), catalog
    except ModelFileError as exc:
        print_problems(exc.problems, err)
    except (KeyError, OSError) as exc:
        print(f"threat-workbench serve: {exc}", file=err)
    return None


def _token(value: str | None) -> str | None:
    """A token option's value: ``auto`` makes a random one."""
    return secrets.token_urlsafe(24) if value == "auto" else value


def _serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    token = _token(args.token)
    refusal = check_address(args.address, token)
    if refusal:
        print(f"threat-workbench serve: {refusal}", file=err)
        return 2
    if args.shared or args.facilitator_token:
        return _serve_shared(args, token, out, err)
    loaded = _load(args, err)
    if loaded is None:
        return 1
    model, catalog = loaded
    from .server import make_server

    port = args.port or free_port(args.address)
    server = make_server(
        model,
        catalog,
        address=args.address,
        port=port,
        token=token,
        allow_origins=args.allow_origin,
    )
    server.start()
    print(f"AI Threat Workbench is serving {model.system.name!r} at", file=out)
    # The one link to open: with the token, which the server swaps for a cookie.
    print(f"  {app_url(args.address, port, token)}", file=out)
    print("Each browser session edits its own copy; press Ctrl-C to stop.", file=out, flush=True)
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        print("stopped", file=err)
    finally:
        server.stop()
    return 0


# ----------------------------------------------------------------------------- shared
MODEL_SUFFIXES = (".yaml", ".yml", ".json")
"""The files of a folder that ``serve DIR --shared`` opens as rooms."""


def shared_usage_error(args: argparse.Namespace, token: str | None) -> str | None:
    """Why the shared options cannot be used as given (``None``: they can)."""
    if not args.shared:
        return "--facilitator-token needs --shared (a facilitator runs a shared room)"
    if args.file is None:
        return "--shared needs FILE (the model file of the room) or a folder of model files"
    if args.facilitator_token and args.facilitator_token == args.token:
        return "the facilitator's token must differ from the participants' token"
    return None


def room_files(target: Path) -> list[Path]:
    """The model files of a room folder (or ``[target]`` for a file), sorted."""
    if not target.is_dir():
        return [target]
    return sorted(p for p in target.iterdir() if p.is_file() and p.suffix.lower() in MODEL_SUFFIXES)


def room_slugs(paths: list[Path]) -> dict[str, Path]:
    """A short URL name per room file (its stem in lower case; -2, -3 ... when taken)."""
    slugs: dict[str, Path] = {}
    for path in paths:
        base = re.sub(r"[^a-z0-9_-]+", "-", path.stem.lower()).strip("-") or "room"
        slug, n = base, 2
        while slug in slugs:
            slug, n = f"{base}-{n}", n + 1
        slugs[slug] = path
    return slugs


def writable(path: Path) -> str | None:
    """Why the room cannot save to ``path`` (``None``: it can): the file and its folder
    must be writable (saving replaces the file through a temporary one)."""
    folder = path.parent if str(path.parent) else Path(".")
    if not os.access(folder, os.W_OK):
        return f"{path}: cannot save there (the folder {folder} is not writable)"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path}: cannot save there (the file is read-only)"
    return None


def _load_rooms(args: argparse.Namespace, err: TextIO) -> tuple[dict[str, Any], Any] | None:
    """The rooms' models and files by slug, and the catalog; ``None`` after printing why
    there is none."""
    from workbench.catalog import load_catalog
    from workbench.errors import ModelFileError, print_problems
    from workbench.model import ThreatModel

    target: Path = args.file
    if not target.exists():
        print(
            f"threat-workbench serve: {target}: no such file or folder (make one with "
            f"'threat-workbench new {target}')",
            file=err,
        )
        return None
    try:
        catalog = load_catalog(*args.catalog, builtin=not args.no_builtin)
    except ModelFileError as exc:
        print_problems(exc.problems, err)
        return None
    except (KeyError, OSError) as exc:
        print(f"threat-workbench serve: {exc}", file=err)
        return None
    rooms: dict[str, Any] = {}
    for slug, path in room_slugs(room_files(target)).items():
        problem = writable(path)
        if problem:
            print(f"threat-workbench serve: {problem}", file=err)
            continue
        try:
            rooms[slug] = (ThreatModel.load(path), path)
        except ModelFileError as exc:
            print_problems(exc.problems, err)
        except OSError as exc:
            print(f"threat-workbench serve: {path}: {exc}", file=err)
    if not rooms:
        where = f"{target} holds no model file that loads" if target.is_dir() else "no room"
        print(f"threat-workbench serve: {where}", file=err)
        return None
    return rooms, catalog


def _serve_shared(args: argparse.Namespace, token: str | None, out: TextIO, err: TextIO) -> int:
    problem = shared_usage_error(args, token)
    if problem:
        print(f"threat-workbench serve: {problem}", file=err)
        return 2
    facilitator = _token(args.facilitator_token)
    loaded = _load_rooms(args, err)
    if loaded is None:
        return 1
    rooms, catalog = loaded
    from .server import make_shared_server

    single = not args.file.is_dir()
    port = args.port or free_port(args.address)
    server, _hosts = make_shared_server(
        rooms,
        catalog,
        address=args.address,
        port=port,
        token=token,
        facilitator_token=facilitator,
        allow_origins=args.allow_origin,
        single=single,
    )
    server.start()
    base = app_url(args.address, port, None)
    if single:
        ((model, path),) = rooms.values()
        print(f"AI Threat Workbench: a shared room on {model.system.name!r} at", file=out)
    else:
        print(f"AI Threat Workbench: {len(rooms)} shared rooms, listed at", file=out)
    print(f"  {_with_token(base, token)}", file=out)
    if facilitator:
        print("Facilitator's view (keep this link to yourself):", file=out)
        print(f"  {_with_token(base + 'facilitator', facilitator)}", file=out)
    if single:
        print(f"Every change is saved to {path}; press Ctrl-C to stop.", file=out, flush=True)
    else:
        for slug, (_, room_path) in rooms.items():
            print(f"  room {slug}: {room_path}", file=out)
        print("Every change is saved to its room's file; press Ctrl-C to stop.", file=out)
        out.flush()
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        print("stopped", file=err)
    finally:
        server.stop()
    return 0


def _with_token(url: str, token: str | None) -> str:
    return url + (f"?token={token}" if token else "")
