// omniedit: developer tool (bench, forward, inspect).
