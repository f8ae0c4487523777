#!/usr/bin/env python3
"""First-click masks on MoNuSeg test nuclei for the README: image crop | ground truth (green)
and the one-click mask (yellow) with its IoU. Needs numpy, scipy, Pillow and ../shared/data.

usage: figure-first-click.py MODEL OUT.png ANNOTATOR_BINARY"""
import numpy as np, glob, os, subprocess, sys, tempfile
from PIL import Image, ImageDraw
from scipy import ndimage
model, out, binary = sys.argv[1], sys.argv[2], sys.argv[3]
rng=np.random.default_rng(7)
scratch=tempfile.TemporaryDirectory()
click_mask=os.path.join(scratch.name, 'click.png')
files=sorted(glob.glob('../shared/data/monuseg/test/instance_masks/*.png'))
tiles=[]
for f in rng.choice(files,4,replace=False):
    L=np.array(Image.open(f)).astype(np.int64)
    if L.ndim==3: L=L[...,0]+256*L[...,1]+65536*L[...,2]
    base=os.path.basename(f)[:-4]
    img=[p for p in glob.glob('../shared/data/monuseg/test/images/'+base+'.*')][0]
    I=np.array(Image.open(img).convert('RGB'))
    ids=[i for i in np.unique(L) if i and (L==i).sum()>=100]
    for i in rng.choice(ids,3,replace=False):
        m=L==i
        dt=ndimage.distance_transform_edt(np.pad(m,1))[1:-1,1:-1]
        y,x=np.unravel_index(dt.argmax(),dt.shape)
        subprocess.run([binary,'interactive','click','--model',model,'--image',img,'--click',f'{x},{y},+','--out',click_mask],check=True,capture_output=True)
        p=np.array(Image.open(click_mask))>0
        if p.ndim==3: p=p[...,0]
        y0,x0=min(max(0,y-24),L.shape[0]-48),min(max(0,x-24),L.shape[1]-48); sl=(slice(y0,y0+48),slice(x0,x0+48))
        gm,pm=m[sl],p[sl]
        crop=I[sl].copy(); over=crop.copy()
        over[gm&~ndimage.binary_erosion(gm)]=[0,255,0]; over[pm&~ndimage.binary_erosion(pm)]=[255,255,0]
        t=Image.fromarray(np.kron(np.concatenate([crop,over],1),np.ones((3,3,1),dtype=np.uint8)))
        ImageDraw.Draw(t).text((150,2),'IoU %.2f'%((p&m).sum()/(p|m).sum()),fill=(255,255,255))
        tiles.append(np.array(t))
rows=[np.concatenate(tiles[k:k+4],1) for k in range(0,12,4)]
Image.fromarray(np.concatenate(rows,0)).save(out, optimize=True)
scratch.cleanup()
print(out, os.path.getsize(out))
