print("cbingest")
