"""Gradio chat UI for Dispatch QA: `python app.py` serves it on http://127.0.0.1:7860.

The UI lives in rag/ui.py so that an installed package has it too (`dispatch-qa serve`).
"""
from rag.apps.ui import main

if __name__ == "__main__":
    main()
