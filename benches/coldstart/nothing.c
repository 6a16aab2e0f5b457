/* Cold-start benchmark: a WASI command that does nothing. main returns 0, so the whole run is
 * process start, module load and wasi-libc's start-up and exit. */
int main(void) { return 0; }
