"""Root of the Python test suites.

Its only job: pytest puts this folder on sys.path when it loads this file
(rootdir-relative "prepend" import), so every suite below imports the shared
helpers as `lib.*` (tests/lib) without a path manipulation of its own.
"""
