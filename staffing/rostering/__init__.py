"""The rostering core: plain data in, plain data out, no ORM (see docs/ARCHITECTURE.md)."""
