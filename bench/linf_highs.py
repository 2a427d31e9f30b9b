# The ℓ∞ max-margin LP (max s s.t. |W| <= 1, ties, margins >= s) of DATA.npz with H.npy solved by scipy HiGHS,
# as a timing and value reference for `ntpsep solve` (gamma_inf). Usage: python3 bench/linf_highs.py DATA.npz H.npy [method]
# Prints: status, gamma_inf, seconds.
import numpy as np, time, sys
from scipy.optimize import linprog
from scipy.sparse import lil_matrix, csr_matrix
z=np.load(sys.argv[1]); H=np.load(sys.argv[2]); d,m=H.shape; V=int(z['shape'][1])
offs,cols=z['indptr'],z['indices']; S=[list(cols[offs[j]:offs[j+1]]) for j in range(m)]
n=V*d+1
rows=[];eq=[]
for j in range(m):
    a=S[j][0]
    for v in range(V):
        if v==a: continue
        r=np.zeros(n); r[v*d:(v+1)*d]+=H[:,j]; r[a*d:(a+1)*d]-=H[:,j]
        if v in S[j]: eq.append(r)
        else: r[-1]=1; rows.append(r)   # (e_v-e_a)Wh + s <= 0
c=np.zeros(n); c[-1]=-1
t=time.time()
res=linprog(c,A_ub=csr_matrix(np.array(rows)),b_ub=np.zeros(len(rows)),A_eq=csr_matrix(np.array(eq)),b_eq=np.zeros(len(eq)),bounds=[(-1,1)]*(n-1)+[(0,None)],method=sys.argv[3] if len(sys.argv)>3 else 'highs')
print(res.status, -res.fun, time.time()-t)
