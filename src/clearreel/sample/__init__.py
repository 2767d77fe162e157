"""The synthetic sample studio: short films, subtitles, a catalog that exercises every
clearance rule, and `truth.json` with the ground truth (cuts, dissolves, who is on screen)
and the decisions the clearance engine must reach. See docs/sample-studio.md.
"""

from clearreel.sample._cast import HOME_TERRITORY, REFERENCE_DATE, STABLE_FROM, STABLE_UNTIL
from clearreel.sample._studio import bigbuckbunny, load_truth, make_sample_studio

__all__ = ["HOME_TERRITORY", "REFERENCE_DATE", "STABLE_FROM", "STABLE_UNTIL", "bigbuckbunny",
           "load_truth", "make_sample_studio"]
