"""The book build: papermill-executed notebooks and the Jupyter Book HTML."""

from policylib.book.pipeline import TEMPLATES, BookBuildError, Template, build

__all__ = ["TEMPLATES", "BookBuildError", "Template", "build"]
