import csv, statistics as st, sys
def load(f):
    out={}
    for r in csv.DictReader(open(f)):
        out.setdefault((r['case'],r['size_mib'],r['pages'],r['mode']),[]).append(r)
    return out
for p in sys.argv[1:]:
    d=load(p)
    print(p)
    for k,v in d.items():
        med=lambda c: st.median(float(x[c]) for x in v)
        print("  %-7s %9s %4s %-5s parent %9.1f child %9.1f fw_mean %8.2f p50 %7.2f n=%d" % (k[0],k[1],k[2],k[3],med('parent_us'),med('child_run_us'),med('first_write_us'),med('first_write_p50_us'),len(v)))
