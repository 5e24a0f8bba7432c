// Time a full local TLB flush (mprotect of 1 MiB of 4 KiB pages: above the
// 33-page ceiling, so x86 flushes the whole TLB) before and after touching
// a region of N MiB with THP or 4 KiB pages.  No fork involved.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
static char *small;
static double flush_us(void){
	double t0=now();
	mprotect(small,1<<20,PROT_READ); mprotect(small,1<<20,PROT_READ|PROT_WRITE);
	return (now()-t0)/2;
}
static void report(const char *what){
	double v[7]; for(int i=0;i<7;i++) v[i]=flush_us();
	printf("%-28s", what); for(int i=0;i<7;i++) printf(" %8.1f", v[i]); printf("\n"); fflush(stdout);
}
int main(int argc,char**argv){
	size_t mib=atoi(argv[1]), sz=mib<<20; int thp=argc>2&&!strcmp(argv[2],"thp");
	small=mmap(0,1<<20,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS|MAP_POPULATE,-1,0);
	memset(small,1,1<<20);
	report("before (us per flush)");
	char *raw=mmap(0,sz+(2<<20),PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
	char *m=(char*)(((unsigned long)raw+(2<<20)-1)&~((2UL<<20)-1));
	madvise(m,sz,thp?MADV_HUGEPAGE:MADV_NOHUGEPAGE);
	for(size_t o=0;o<sz;o+=4096) m[o]=1;
	report(thp?"after touching THP":"after touching 4 KiB");
	for(size_t o=0;o<sz;o+=4096) m[o]++;
	report("after reading it again");
	munmap(raw,sz+(2<<20));
	report("after munmap");
	return 0;
}
