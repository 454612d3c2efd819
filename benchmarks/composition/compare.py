"""The largest absolute difference of each output between two golden.py files.
Usage: python compare.py BEFORE.pt AFTER.pt"""
import sys, torch, numpy as np
a, b = torch.load(sys.argv[1], weights_only=False), torch.load(sys.argv[2], weights_only=False)
def diff(x, y):
    if isinstance(x, dict):
        return max((diff(x[k], y[k]) if k in y else float('nan')) for k in x)
    x = torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x).double(); y = torch.as_tensor(np.asarray(y) if not torch.is_tensor(y) else y).double()
    if x.shape != y.shape: return float('inf')
    return float((x - y).abs().max()) if x.numel() else 0.0
for k in a:
    if isinstance(a[k], dict):
        for j in a[k]:
            d = diff(a[k][j], b[k].get(j, None)) if j in b[k] else 'missing'
            if d != 0: print(k, j, d)
        print(k, 'max', diff(a[k], {j: b[k][j] for j in a[k] if j in b[k]}))
    else:
        print(k, diff(a[k], b[k]))
