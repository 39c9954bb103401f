#!/usr/bin/env python3
"""A real SMTP server for Stride's tests (testkit::mail), built on aiosmtpd.

Listens on 127.0.0.1 (port 0 picks a free one), prints `PORT <n>` on its first line, and
writes every message it accepts to DIR as `<seq>.json`:
{"mail_from": ..., "rcpt_tos": [...], "data": <the raw message>, "auth": <login or null>,
"tls": <whether the session was encrypted>}
(written under a temporary name and renamed, so a reader never sees half a file).

Recipients whose local part starts with a keyword get a scripted answer, so one server can
play every failure a test needs:
- `reject-…`: RCPT is refused for good (550);
- `defer-…`: RCPT is refused for now (451);
- `hang-…`: the message is stored, then the final reply is withheld for HANG_SECONDS, as a
  server that took the message and then went silent.

With --auth USER:PASSWORD the server requires that login (without TLS: it is loopback only).
With --tls starttls or --tls implicit (and --tls-cert, --tls-key: PEM files) it speaks TLS:
STARTTLS is then required before MAIL, or the connection is TLS from the first byte.
It exits when its standard input closes (the test process went away) or on SIGTERM/SIGKILL.
Exit code 3 and one line on stderr when aiosmtpd is missing.
"""

import argparse
import asyncio
import json
import logging
import os
import ssl
import sys
import threading

try:
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
except ImportError:
    print("aiosmtpd is not installed (pip install aiosmtpd)", file=sys.stderr)
    sys.exit(3)

HANG_SECONDS = 30


class Sink:
    """Stores accepted messages as JSON files in a directory."""

    def __init__(self, directory):
        self.directory = directory
        self.seq = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject-"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("defer-"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.seq += 1
        tls = server.transport.get_extra_info("ssl_object") is not None
        auth = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "data": envelope.content.decode("utf-8", errors="replace"),
            "auth": auth,
            "tls": tls,
        }
        name = f"{self.seq:06d}.json"
        partial = os.path.join(self.directory, f".{name}.partial")
        with open(partial, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(partial, os.path.join(self.directory, name))
        if any(r.split("@", 1)[0].lower().startswith("hang-") for r in envelope.rcpt_tos):
            await asyncio.sleep(HANG_SECONDS)
        return "250 OK"


def authenticator_for(expected):
    user, _, password = expected.partition(":")

    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, auth_data=auth_data if ok else None)

    return check


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--auth", default=None, help="USER:PASSWORD the server requires")
    parser.add_argument("--tls", choices=["starttls", "implicit"], default=None)
    parser.add_argument("--tls-cert", default=None)
    parser.add_argument("--tls-key", default=None)
    args = parser.parse_args()
    context = None
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    logging.basicConfig(level=logging.ERROR)
    os.makedirs(args.dir, exist_ok=True)
    handler = Sink(args.dir)

    def factory():
        options = dict(enable_SMTPUTF8=True, hostname="sink.localhost")
        if args.tls == "starttls":
            options.update(tls_context=context, require_starttls=True)
        if args.auth:
            options.update(
                auth_required=True,
                auth_require_tls=False,
                authenticator=authenticator_for(args.auth),
            )
        return SMTP(handler, **options)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        factory,
        host="127.0.0.1",
        port=args.port,
        reuse_address=True,
        ssl=context if args.tls == "implicit" else None,
    )
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)

    stopped = asyncio.Event()

    def watch_stdin():
        # EOF: the test process that started us is gone.
        sys.stdin.read()
        loop.call_soon_threadsafe(stopped.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    await stopped.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
