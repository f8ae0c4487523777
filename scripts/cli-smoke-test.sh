#!/usr/bin/env bash
# The HoVerNet command line end to end on the bundled sample with a tiny model: train with
# a held-out image and --tune, tune again explicitly, infer with the tuned parameters and
# with overrides, score; train as a service's job; interactive train with a chosen architecture,
# resume and eval; a missing folder or a wrong architecture is named. Checks the wiring, not the quality.
set -euo pipefail
annotator=$1
work=$(mktemp -d /tmp/annotator-cli-smoke-XXXXXX)
trap 'rm -rf "$work"' EXIT
sample=Samples/monuseg-mini
model=$work/model.safetensors

"$annotator" hovernet train --data "$sample" --hold-out 1 --out "$model" --steps 2 --batch 2 --patch 64 \
    --widths 4,8 --decoder-convs 2 --validate-every 2 --tune --json > "$work/train.json" 2> "$work/train.log"
grep -q '"steps" : 2' "$work/train.json" || { echo "cli-smoke: train summary lacks steps=2" >&2; cat "$work/train.json" >&2; exit 1; }
grep -q "post-processing foreground" "$work/train.log" || { echo "cli-smoke: --tune did not tune" >&2; cat "$work/train.log" >&2; exit 1; }
[[ -f "${model%.safetensors}.last.safetensors" ]] || { echo "cli-smoke: no resume file" >&2; exit 1; }

"$annotator" hovernet tune --model "$model" --data "$sample" --hold-out 1 --edge 0.4,0.6 --foreground 0.5 --min-area 10 \
    --tta --json > "$work/tune-tta.json" 2> "$work/tune-tta.log"
[[ $(grep -c '"edge_threshold"' "$work/tune-tta.json") -eq 2 ]] || { echo "cli-smoke: tune --tta should score 2 candidates" >&2; exit 1; }
"$annotator" hovernet tune --model "$model" --data "$sample" --hold-out 1 --edge 0.4,0.6 --foreground 0.5 --min-area 10 \
    --write --json > "$work/tune.json" 2> "$work/tune.log"
[[ $(grep -c '"edge_threshold"' "$work/tune.json") -eq 2 ]] || { echo "cli-smoke: tune should score 2 candidates" >&2; cat "$work/tune.json" >&2; exit 1; }

"$annotator" hovernet infer --model "$model" --images "$sample/images" --out "$work/pred" --json > "$work/infer.json"
"$annotator" hovernet infer --model "$model" --images "$sample/images" --out "$work/pred-override" --edge-threshold 0.5 \
    --foreground-threshold 0.6 --min-area 20 > /dev/null
"$annotator" metrics --gt "$sample/instance_masks" --pred "$work/pred" --json > "$work/metrics.json"
grep -q '"aji"' "$work/metrics.json" || { echo "cli-smoke: metrics JSON lacks aji" >&2; cat "$work/metrics.json" >&2; exit 1; }

# The same recipe as a job of a HoVerNet service: --hold-out and --lr reach the trainer.
"$annotator" serve hovernet --bind "ipc://$work/hovernet.sock" --store "$work/store" 2> "$work/serve.log" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [[ -S "$work/hovernet.sock" ]] && break; sleep 0.1; done
"$annotator" hovernet train --endpoint "ipc://$work/hovernet.sock" --data "$sample" --hold-out 1 --lr 0.002 \
    --out "$work/remote.safetensors" --steps 2 --batch 2 --patch 64 --widths 4,8 --json > "$work/remote.json" 2> "$work/remote.log"
grep -q '"val_dice"' "$work/remote.json" || { echo "cli-smoke: the service job did not hold out an image" >&2; cat "$work/remote.json" "$work/remote.log" >&2; exit 1; }
[[ -f "$work/remote.safetensors" ]] || { echo "cli-smoke: the service's model was not copied to --out" >&2; exit 1; }
kill $server; wait $server 2>/dev/null || true
trap 'rm -rf "$work"' EXIT

# Interactive: a tiny architecture from the options; --resume keeps the stored architecture
# (and may change the loss).
imodel=$work/interactive.safetensors
"$annotator" interactive train --data "$sample" --out "$imodel" --steps 2 --batch 2 --high-channels 4 --low-channels 8 \
    --head-channels 4 --blocks-per-stage 0 --click-radius 2 --json > "$work/itrain.json" 2> "$work/itrain.log"
"$annotator" interactive train --data "$sample" --out "$imodel" --steps 3 --batch 2 --resume --loss nfl --dice-weight 0 --json > "$work/iresume.json" 2> "$work/iresume.log" \
    || { echo "cli-smoke: interactive --resume did not take the stored architecture" >&2; cat "$work/iresume.log" >&2; exit 1; }
grep -q '"steps" : 3' "$work/iresume.json" || { echo "cli-smoke: interactive resume did not reach step 3" >&2; cat "$work/iresume.json" >&2; exit 1; }
"$annotator" interactive eval --model "$imodel" --images "$sample/images" --gt "$sample/instance_masks" --max-nuclei 3 \
    --json > "$work/ieval.json" 2> /dev/null
grep -q '"noc85"' "$work/ieval.json" || { echo "cli-smoke: interactive eval JSON lacks noc85" >&2; cat "$work/ieval.json" >&2; exit 1; }
"$annotator" interactive eval --model "$imodel" --images "$sample/images" --gt "$sample/instance_masks" --max-nuclei 3 \
    --boundary-tolerance 1 --json > "$work/ieval.json" 2> /dev/null
grep -q '"boundary_tolerance" : 1' "$work/ieval.json" || { echo "cli-smoke: --boundary-tolerance not reported" >&2; cat "$work/ieval.json" >&2; exit 1; }
if "$annotator" interactive eval --model "$imodel" --images "$sample/images" --gt "$sample/instance_masks" --boundary-tolerance=-1 \
    2> "$work/err.log"; then echo "cli-smoke: a negative boundary tolerance accepted" >&2; exit 1; fi
grep -q "boundary-tolerance -1: give 0…8" "$work/err.log" || { cat "$work/err.log" >&2; exit 1; }
simage=$(ls "$sample/images"/* | head -1)
"$annotator" interactive click --model "$imodel" --image "$simage" --click 20,20,+ --click 24,20,- --out "$work/click.png" \
    --json > "$work/click.json" 2> "$work/click.log" || { cat "$work/click.log" >&2; exit 1; }
grep -q '"mean_probability"' "$work/click.json" && [[ -f "$work/click.png" ]] \
    || { echo "cli-smoke: interactive click wrote no mask or no JSON summary" >&2; cat "$work/click.json" >&2; exit 1; }
if "$annotator" interactive click --model "$imodel" --image "$simage" --click 99999,5,+ --out "$work/click.png" 2> "$work/err.log"; then
    echo "cli-smoke: a click outside the image accepted" >&2; exit 1
fi
grep -q "outside the" "$work/err.log" || { cat "$work/err.log" >&2; exit 1; }
# A person at the terminal, scripted: several nuclei at once, a bad line, one more by clicks;
# the output's folder is made before the work starts.
printf 'p 20,20 60,60\nnonsense\n100,100\na\ndone\n' | "$annotator" annotate --model "$imodel" --image "$simage" \
    --out "$work/person/map.png" --json > "$work/person.json" 2> "$work/person.log" || { cat "$work/person.log" >&2; exit 1; }
grep -q '"clicks" : 3' "$work/person.json" && [[ -f "$work/person/map.png" ]] && grep -q "'nonsense'" "$work/person.log" \
    || { echo "cli-smoke: annotate did not save the scripted session" >&2; cat "$work/person.json" "$work/person.log" >&2; exit 1; }
if "$annotator" interactive train --data "$sample" --out "$work/other.safetensors" --steps 1 --batch 2 --init "$imodel" \
    --high-channels 6 2> "$work/err.log"; then echo "cli-smoke: --init with another architecture accepted" >&2; exit 1; fi
grep -q "architecture differs" "$work/err.log" || { cat "$work/err.log" >&2; exit 1; }
if "$annotator" interactive train --data "$sample" --out "$work/other.safetensors" --steps 1 --input-size 30 2> "$work/err.log"; then
    echo "cli-smoke: --input-size 30 accepted" >&2; exit 1
fi
grep -q "inputSize 30" "$work/err.log" || { cat "$work/err.log" >&2; exit 1; }
if "$annotator" interactive train --data "$sample" --out "$work/other.safetensors" --steps 1 --focal-gamma 1 2> "$work/err.log"; then
    echo "cli-smoke: --focal-gamma without --loss nfl accepted" >&2; exit 1
fi
grep -q "focal-gamma applies to --loss nfl" "$work/err.log" || { cat "$work/err.log" >&2; exit 1; }

# Datasets out: every export format and an overlay, with their JSON summaries.
for format in png geojson coco; do
    "$annotator" dataset export --format $format --data "$sample" --out "$work/export-$format" --json > "$work/export.json" 2> /dev/null
    grep -q '"nuclei"' "$work/export.json" || { echo "cli-smoke: dataset export $format printed no summary" >&2; exit 1; }
done
[[ -f "$work/export-coco/annotations.json" ]] || { echo "cli-smoke: COCO export wrote no annotations.json" >&2; exit 1; }
# The GeoJSON export imports back (as QuPath's would), label map for label map.
"$annotator" dataset import-geojson --images "$sample/images" --annotations "$work/export-geojson" --out "$work/from-geojson" --json > "$work/import.json" 2> /dev/null
exported=$(grep -o '"nuclei" : [0-9]*' "$work/export.json" | tail -1 | grep -o '[0-9]*$')
imported=$(grep -o '"nuclei" : [0-9]*' "$work/import.json" | tail -1 | grep -o '[0-9]*$')
[[ -n "$imported" && "$imported" == "$exported" ]] || { echo "cli-smoke: GeoJSON round trip gave $imported nuclei, exported $exported" >&2; exit 1; }
# … and so does the COCO export.
"$annotator" dataset import-coco --images "$sample/images" --coco "$work/export-coco/annotations.json" --out "$work/from-coco" > /dev/null 2>&1 \
    || { echo "cli-smoke: import-coco failed" >&2; exit 1; }
for map in "$work"/export-png/*.png; do
    cmp -s "$map" "$work/from-geojson/instance_masks/$(basename "$map")" || { echo "cli-smoke: $(basename "$map") changed in the GeoJSON round trip" >&2; exit 1; }
    cmp -s "$map" "$work/from-coco/instance_masks/$(basename "$map")" || { echo "cli-smoke: $(basename "$map") changed in the COCO round trip" >&2; exit 1; }
done
sname=$(basename "$simage"); sname=${sname%.*}
"$annotator" dataset overlay --image "$simage" --mask "$sample/instance_masks/$sname.png" --out "$work/overlay.png" --json > "$work/overlay.json"
grep -q '"outlines"' "$work/overlay.json" && [[ -f "$work/overlay.png" ]] || { echo "cli-smoke: dataset overlay failed" >&2; exit 1; }
if "$annotator" dataset overlay --image "$simage" --mask "$sample/instance_masks/$sname.png" --out "$work/o.png" --color 1,2 2> "$work/err.log"; then
    echo "cli-smoke: --color 1,2 accepted" >&2; exit 1
fi
grep -q -- "--color must be R,G,B" "$work/err.log" || { cat "$work/err.log" >&2; exit 1; }

# A 20× dataset to the models' 40× and its label maps back: the round trip is exact.
"$annotator" dataset rescale --data "$sample" --out "$work/x2" --microns-per-pixel 0.5 --json > "$work/rescale.json" 2> /dev/null
grep -q '"scale" : 2' "$work/rescale.json" || { echo "cli-smoke: dataset rescale printed no scale 2" >&2; cat "$work/rescale.json" >&2; exit 1; }
"$annotator" dataset rescale --masks "$work/x2/instance_masks" --out "$work/x1" --scale 0.5 > /dev/null 2>&1
"$annotator" dataset export --format png --data "$sample" --out "$work/x1-original" > /dev/null 2>&1
cmp -s "$work/x1/$sname.png" "$work/x1-original/$sname.png" || { echo "cli-smoke: rescaled label maps did not come back unchanged" >&2; exit 1; }
if "$annotator" dataset rescale --data "$sample" --out "$work/x3" --scale 20 2> "$work/err.log"; then
    echo "cli-smoke: --scale 20 accepted" >&2; exit 1
fi
grep -q "give a factor from" "$work/err.log" || { cat "$work/err.log" >&2; exit 1; }

# A dataset looked over: the sample is at the models' scale, its half-size copy is not.
"$annotator" dataset check --data "$sample" --json > "$work/check.json" 2> /dev/null
grep -q '"matches_models_magnification" : true' "$work/check.json" || { echo "cli-smoke: dataset check" >&2; cat "$work/check.json" >&2; exit 1; }
"$annotator" dataset rescale --data "$sample" --out "$work/half" --scale 0.5 > /dev/null 2>&1
"$annotator" dataset check --data "$work/half" --json > "$work/check.json" 2> /dev/null
grep -q '"matches_models_magnification" : false' "$work/check.json" || { echo "cli-smoke: dataset check of a half-size copy" >&2; exit 1; }

# JPEG images are read (the classical baseline segments one); a JPEG label map is refused.
mkdir -p "$work/jpeg"
cp Tests/Fixtures/imaging/two-blocks.jpg "$work/jpeg/"
"$annotator" baseline --images "$work/jpeg" --out "$work/jpeg-labels" > /dev/null 2>&1 || { echo "cli-smoke: baseline on a JPEG failed" >&2; exit 1; }
if "$annotator" dataset overlay --image "$simage" --mask "$work/jpeg/two-blocks.jpg" --out "$work/o.png" 2> "$work/err.log"; then
    echo "cli-smoke: a JPEG label map was accepted" >&2; exit 1
fi
grep -q "cannot be a JPEG" "$work/err.log" || { cat "$work/err.log" >&2; exit 1; }

# Refused with a clear message, not a crash.
if "$annotator" hovernet tune --model "$model" 2> "$work/err.log"; then echo "cli-smoke: tune without validation accepted" >&2; exit 1; fi
grep -q "give either --val" "$work/err.log" || { cat "$work/err.log" >&2; exit 1; }
if "$annotator" interactive eval --model "$model" --images "$sample/images" --gt "$work/missing" 2> "$work/err.log"; then
    echo "cli-smoke: interactive eval with a missing --gt folder accepted" >&2; exit 1
fi
grep -q -- "--gt: no folder at" "$work/err.log" || { cat "$work/err.log" >&2; exit 1; }
# A pool without label maps: the simulated annotator is refused before any work, and
# --eval with --no-eval contradict.
mkdir -p "$work/unlabelled/images"
cp "$simage" "$work/unlabelled/images/"
if "$annotator" run --pool "$work/unlabelled" --project "$work/unlabelled.sqlite" 2> "$work/err.log"; then
    echo "cli-smoke: the simulated annotator was given a pool without label maps" >&2; exit 1
fi
grep -q -- "--annotator person" "$work/err.log" || { cat "$work/err.log" >&2; exit 1; }
if "$annotator" run --pool "$work/unlabelled" --annotator person --eval "$sample" --no-eval --project "$work/unlabelled.sqlite" \
    2> "$work/err.log"; then echo "cli-smoke: --eval with --no-eval accepted" >&2; exit 1; fi
grep -q "contradict" "$work/err.log" || { cat "$work/err.log" >&2; exit 1; }
echo "cli-smoke: hovernet train (in-process and as a job), tune, infer, metrics, interactive train/resume/eval/click, annotate, dataset export/import-geojson/import-coco/overlay/rescale/check and JPEG input work on the sample"
