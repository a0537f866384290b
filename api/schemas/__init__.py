"""Marshmallow schemas of the native API: request validation, response shapes, and the OpenAPI
document (generated from these schemas by apispec through flask-smorest)."""
