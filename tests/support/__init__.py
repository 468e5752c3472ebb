"""Test helpers: throwaway databases and model builders."""
