# Sourced first by the process-level test scripts, which are called as
#   SCRIPT JSTIP SOURCE_DIR WORK_DIR
# Sets $jstip, $source_dir and $work, makes $work a fresh current folder and
# keeps jstip quiet about the BLAS check and on one thread.
jstip=$1
source_dir=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
cd "$work"
export JSTIP_SKIP_BLAS_CHECK=1 OMP_NUM_THREADS=1
