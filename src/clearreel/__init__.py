"""clearreel: a studio's own licensed library, turned into a private text-to-video model,
provably clean at every step."""

__version__ = "0.1.0"
