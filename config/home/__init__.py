"""Role home pages: money and work queues per role, each figure a link to the filtered
list that shows exactly what it counts. It reads every app's selectors, hence it lives in
the project package (the only one that imports every app)."""
