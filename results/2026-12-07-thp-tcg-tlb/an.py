import re, sys, csv
def parse(path):
    ev=[]
    for line in open(path):
        m=re.match(r'\s*(.+?)-(\d+)\s+\[(\d+)\]\s+\S+\s+([\d.]+): (\w+): (.*)', line)
        if m: ev.append((m.group(2), int(m.group(3)), float(m.group(4)), m.group(5), m.group(6)))
    return ev
for c in sys.argv[2:]:
    ev=parse(f'{sys.argv[1]}/trace-{c}.txt')
    rows=list(csv.DictReader(open(f'{sys.argv[1]}/{c}.csv')))
    mode={r['child_pid']:(r['mode'],float(r['parent_us'])) for r in rows}
    print(f'== {c}: clone3 | dupmmap(w-lock) | after-child-unlock | wake->exit | 1st fault(addr, lock held) | parent_us')
    for i,e in enumerate(ev):
        if e[3]=='sys_exit' and 'NR 435 = ' in e[4] and not e[4].endswith('= 0'):
            child=e[4].split('= ')[1]; P=e[0]
            if child not in mode: continue
            # find enter
            j=i
            while not (ev[j][0]==P and ev[j][3]=='sys_enter'): j-=1
            te=ev[j][2]; tx=e[2]
            locks=[x for x in ev[j:i] if x[0]==P and x[3].startswith('mmap_lock')]
            acq=[x[2] for x in locks if x[3]=='mmap_lock_acquire_returned' and 'write=true' in x[4]]
            rel=[x[2] for x in locks if x[3]=='mmap_lock_released' and 'write=true' in x[4]]
            wake=[x[2] for x in ev[j:i] if x[3]=='sched_wakeup_new']
            dup=(rel[-1]-acq[0])*1e3 if acq and rel else -1
            aft=(rel[-1]-rel[0])*1e3 if len(rel)>1 else -1
            # first fault after
            k=i+1; f=None
            while k<len(ev) and k<i+400:
                x=ev[k]
                if x[0]==P and x[3]=='page_fault_user' and f is None: f=(x[2], x[4].split()[0])
                elif f and x[0]==P and x[3]=='mmap_lock_released':
                    f=(f[0],f[1],(x[2]-f[0])*1e3); break
                k+=1
            sw=[x for x in ev[i:k] if x[3]=='sched_switch' and f'prev_pid={P} ' in x[4]]
            print(f'{mode[child][0]:5} {(tx-te)*1e3:6.2f} | {dup:6.2f} | {aft:6.2f} | {(tx-wake[0])*1e3 if wake else -1:5.2f} | {f[1] if f else ""} {f[2] if f and len(f)>2 else -1:6.2f} sw={len(sw)} | {mode[child][1]/1e3:6.2f}')
