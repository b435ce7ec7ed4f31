"""The counter application: ``qurb-terminal serve`` serves the operator's screens to a
browser on the counter's PC, on 127.0.0.1 only.

The browser holds no key and no token: this process keeps the terminal's private key, the
outbox and the operator's session, and every screen calls the same functions the command
line does (terminal_client.commands), so the outbox's rules are the CLI's. The pages are
server-rendered forms that work without script; a small vendored-free script adds the
keyboard (Esc to go back) and the print dialog. Other local pages cannot drive the app: the
Host header must name this loopback address, every POST carries a CSRF token bound to the
browser's cookie (HttpOnly, SameSite=Strict), and the Content-Security-Policy allows nothing
but this app's own files.
"""
