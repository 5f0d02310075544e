# English interface: the same calendar conventions as the documents (dd/mm/yyyy), English digits.
from config.formats.vi.formats import *  # noqa: F403

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
