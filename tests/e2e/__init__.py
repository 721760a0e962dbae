"""Browser tests: a real Streamlit server and headless Chromium (Playwright), marked `e2e`."""
