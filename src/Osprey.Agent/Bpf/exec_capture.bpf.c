// Osprey exec capture: at every successful exec (the sched_process_exec tracepoint, which the kernel fires just before
// it sends the proc connector's exec event) this program records what the new program was started with: its
// arguments and environment (read from the new memory image, as /proc/PID/cmdline and environ would show them), the
// executable (the interpreter for a script), the working directory, and the real and effective user and group.
// The agent reads the record by PID when a process is gone from /proc before the agent could look at it, which is
// what happens to most short-lived processes under an exec storm.
//
// Built with clang -target bpf; relocated against the running kernel's BTF by libbpf (CO-RE), so the same object
// loads on any kernel with BTF. No headers: the few kernel types it reads are declared here with only the fields used.

typedef unsigned char __u8;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef int pid_t;

#define SEC(name) __attribute__((section(name), used))
#define PRESERVE __attribute__((preserve_access_index))

// Layout shared with the agent (ExecCaptureRecord): keep both in step.
#define ARGS_ROOM 4096
#define ENV_ROOM 4096
#define EXE_ROOM 256
#define CWD_ROOM 1024
#define NAME_ROOM 256
#define CWD_STEPS 40 // names and mount crossings walked at most

struct exec_record {
	__u64 ktime_ns;   // CLOCK_MONOTONIC at the exec, the clock of the proc connector's timestamps
	__u32 uid, gid, euid, egid;
	__u32 args_len;   // bytes of args used (NUL-separated, as /proc/PID/cmdline)
	__u32 env_len;    // bytes of env used (NUL-separated, as /proc/PID/environ)
	__u32 exe_len;    // bytes of exe including its NUL, 0 when unread
	__u32 cwd_len;    // bytes of cwd used: path components leaf first, each NUL-terminated
	__u32 flags;      // EXEC_ARGS_CUT, EXEC_ENV_CUT, EXEC_CWD_CUT
	__u32 reserved;
	__u8 args[ARGS_ROOM];
	__u8 env[ENV_ROOM];
	__u8 exe[EXE_ROOM];
	__u8 cwd[CWD_ROOM + NAME_ROOM];
};

#define EXEC_ARGS_CUT 1
#define EXEC_ENV_CUT 2
#define EXEC_CWD_CUT 4

// Kernel types, reduced to the fields read (libbpf matches them by name against the kernel's BTF).
typedef struct { __u32 val; } kuid_t;
typedef struct { __u32 val; } kgid_t;
struct qstr { const unsigned char *name; } PRESERVE;
struct dentry { struct dentry *d_parent; struct qstr d_name; } PRESERVE;
struct vfsmount { struct dentry *mnt_root; } PRESERVE;
struct mount { struct mount *mnt_parent; struct dentry *mnt_mountpoint; struct vfsmount mnt; } PRESERVE;
struct path { struct vfsmount *mnt; struct dentry *dentry; } PRESERVE;
struct fs_struct { struct path pwd; } PRESERVE;
struct mm_struct { unsigned long arg_start, arg_end, env_start, env_end; } PRESERVE;
struct cred { kuid_t uid; kgid_t gid; kuid_t euid; kgid_t egid; } PRESERVE;
struct task_struct { struct mm_struct *mm; struct fs_struct *fs; const struct cred *cred; pid_t tgid; } PRESERVE;
struct linux_binprm { const char *interp; } PRESERVE;
struct bpf_raw_tracepoint_args { __u64 args[0]; };

// Helpers by number (include/uapi/linux/bpf.h).
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)2;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static long (*bpf_probe_read_user)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)112;
static long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)113;
static long (*bpf_probe_read_kernel_str)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)115;
static long (*bpf_loop)(__u32 nr_loops, void *callback_fn, void *callback_ctx, __u64 flags) = (void *)181;

#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define BPF_MAP_TYPE_PERCPU_ARRAY 6
#define BPF_MAP_TYPE_LRU_HASH 9
#define BPF_ANY 0

// The latest exec of each process (by thread-group ID); the least recently used records make room.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct exec_record);
} exec_records SEC(".maps");

// Where a record is built (too big for the 512-byte stack).
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_record);
} scratch SEC(".maps");

#define READ(dst, src) bpf_probe_read_kernel(&(dst), sizeof(dst), &(src))

static __u32 read_user_range(__u8 *dst, __u32 room, unsigned long start, unsigned long end, __u32 *flags, __u32 cut)
{
	unsigned long length = end > start ? end - start : 0;
	if (length > room) {
		length = room;
		*flags |= cut;
	}
	// Bounded for the verifier: length is at most room.
	__u32 n = length & (2 * ARGS_ROOM - 1);
	if (n > room)
		n = room;
	if (n == 0 || bpf_probe_read_user(dst, n, (const void *)start) != 0)
		return 0;
	return n;
}

struct cwd_walk {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	__u32 used;
	int complete;
};

// One step of the walk up from the working directory (a bpf_loop callback, so the verifier checks it once): crosses
// to the parent mount at a mount's root, else records the name and goes to the parent directory. 1 stops the loop.
static long cwd_step(__u32 index, void *data)
{
	struct cwd_walk *w = data;
	__u32 zero = 0;
	struct exec_record *r = bpf_map_lookup_elem(&scratch, &zero);
	if (!r)
		return 1;
	struct dentry *mnt_root = 0, *parent = 0;
	READ(mnt_root, w->vfsmnt->mnt_root);
	if (w->dentry == mnt_root) {
		struct mount *up = 0;
		READ(up, w->mnt->mnt_parent);
		if (up == w->mnt) {
			w->complete = 1; // the root of the mount tree
			return 1;
		}
		READ(w->dentry, w->mnt->mnt_mountpoint);
		w->mnt = up;
		w->vfsmnt = &up->mnt;
		return 0;
	}
	READ(parent, w->dentry->d_parent);
	if (parent == w->dentry) {
		w->complete = 1; // a root that is not a mount's (a detached tree)
		return 1;
	}
	const unsigned char *name = 0;
	READ(name, w->dentry->d_name.name);
	__u32 used = w->used;
	if (used >= CWD_ROOM)
		return 1;
	long n = bpf_probe_read_kernel_str(&r->cwd[used & (CWD_ROOM - 1)], NAME_ROOM, name);
	if (n <= 0)
		return 1;
	w->used = used + n;
	w->dentry = parent;
	return 0;
}

SEC("raw_tracepoint/sched_process_exec")
int osprey_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx->args[0];
	struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
	__u32 zero = 0;
	struct exec_record *r = bpf_map_lookup_elem(&scratch, &zero);
	if (!r)
		return 0;

	r->ktime_ns = bpf_ktime_get_ns();
	r->flags = 0;
	r->reserved = 0;
	__u32 tgid = 0;
	READ(tgid, task->tgid);

	const struct cred *cred = 0;
	READ(cred, task->cred);
	kuid_t uid = {}, euid = {};
	kgid_t gid = {}, egid = {};
	READ(uid, cred->uid);
	READ(gid, cred->gid);
	READ(euid, cred->euid);
	READ(egid, cred->egid);
	r->uid = uid.val;
	r->gid = gid.val;
	r->euid = euid.val;
	r->egid = egid.val;

	struct mm_struct *mm = 0;
	READ(mm, task->mm);
	unsigned long arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
	READ(arg_start, mm->arg_start);
	READ(arg_end, mm->arg_end);
	READ(env_start, mm->env_start);
	READ(env_end, mm->env_end);
	r->args_len = read_user_range(r->args, ARGS_ROOM, arg_start, arg_end, &r->flags, EXEC_ARGS_CUT);
	r->env_len = read_user_range(r->env, ENV_ROOM, env_start, env_end, &r->flags, EXEC_ENV_CUT);

	const char *interp = 0;
	READ(interp, bprm->interp);
	long exe = bpf_probe_read_kernel_str(r->exe, EXE_ROOM, interp);
	r->exe_len = exe > 0 ? exe : 0;

	// The working directory, one name at a time from the leaf up, crossing mount points, until the root.
	struct fs_struct *fs = 0;
	READ(fs, task->fs);
	struct cwd_walk walk = {};
	READ(walk.dentry, fs->pwd.dentry);
	READ(walk.vfsmnt, fs->pwd.mnt);
	walk.mnt = (struct mount *)((char *)walk.vfsmnt - __builtin_preserve_field_info(((struct mount *)0)->mnt, 0));
	bpf_loop(CWD_STEPS, cwd_step, &walk, 0);
	if (!walk.complete)
		r->flags |= EXEC_CWD_CUT;
	r->cwd_len = walk.used;

	bpf_map_update_elem(&exec_records, &tgid, r, BPF_ANY);
	return 0;
}

// The kernel lets only GPL-compatible programs read process memory (bpf_probe_read_*); this is one.
char LICENSE[] SEC("license") = "Dual MIT/GPL";
