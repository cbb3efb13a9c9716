"""The open-data portal: a Starlette app over a catalog folder (list, dataset pages, access, objections)."""

from catalog.portal.app import create_app

__all__ = ["create_app"]
