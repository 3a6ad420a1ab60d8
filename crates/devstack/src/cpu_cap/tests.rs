//! The quota arithmetic, the mount table, the files written (a temporary directory standing
//! in for a cgroup root), and a real cgroup holding a busy process back.

use super::*;

/// A temporary directory standing in for a cgroup root.
fn fake_root(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("cpu-cap-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    root
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_quota_is_the_memorys_share_of_one_vcpu() {
    assert_eq!(quota_us(128), 7236, "128/1769 of 100 ms, rounded");
    assert_eq!(quota_us(256), 14471);
    assert_eq!(quota_us(1024), 57886);
    assert_eq!(quota_us(1769), PERIOD_US, "one vCPU at 1,769 MB");
    assert_eq!(quota_us(10240), 578858, "more than one core at 10 GB");
    assert_eq!(
        quota_us(1),
        MIN_QUOTA_US,
        "never under the kernel's minimum"
    );
}

#[test]
fn the_hierarchy_is_found_in_the_mount_table() {
    let v1 = "cgroup /sys/fs/cgroup/cpuacct cgroup rw,cpuacct 0 0\n\
              cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0\n\
              cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n";
    assert_eq!(
        Hierarchy::find(v1, |_| Some("cpu memory".into())),
        Some(Hierarchy::V1("/sys/fs/cgroup/cpu,cpuacct".into()))
    );
    let v2 = "proc /proc proc rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0\n";
    let controllers = |path: &Path| {
        (path == Path::new("/sys/fs/cgroup/cgroup.controllers"))
            .then(|| "cpuset cpu io memory pids\n".to_string())
    };
    assert_eq!(
        Hierarchy::find(v2, controllers),
        Some(Hierarchy::V2("/sys/fs/cgroup".into()))
    );
    assert_eq!(
        Hierarchy::find(v2, |_| Some("hugetlb\n".into())),
        None,
        "a cgroup2 mount without the cpu controller"
    );
    assert_eq!(Hierarchy::find("", |_| None), None);
}

#[test]
fn v1_starts_unlimited_takes_lambdas_quota_when_capped_and_hosts_a_birth() {
    let root = fake_root("v1");
    let hierarchy = Hierarchy::V1(root.clone());
    let mut cgroup = ProcessCgroup::create(&hierarchy, "items-api", 128).unwrap();
    let path = cgroup.path().to_path_buf();
    assert!(path.starts_with(&root));
    assert_eq!(read(&path.join("cpu.cfs_period_us")), "100000");
    assert_eq!(
        read(&path.join("cpu.cfs_quota_us")),
        "-1",
        "init at full speed"
    );
    assert_eq!(cgroup.throttling(), None, "not capped yet");

    let mut command = tokio::process::Command::new("true");
    let visit = cgroup.host_birth(&mut command).unwrap();
    // SAFETY: gettid has no preconditions.
    let thread = unsafe { libc::gettid() }.to_string();
    assert_eq!(
        read(&path.join("tasks")),
        thread,
        "this thread steps in for the fork"
    );
    assert!(visit.is_some());
    std::mem::forget(visit); // its way back leads to this machine's real cgroup, not the fake

    cgroup.cap().unwrap();
    assert_eq!(read(&path.join("cpu.cfs_quota_us")), "7236");
    std::fs::write(
        path.join("cpu.stat"),
        "nr_periods 40\nnr_throttled 12\nthrottled_time 900000000\n",
    )
    .unwrap();
    assert_eq!(
        cgroup.throttling(),
        Some(Throttling {
            quota_us: 7236,
            period_us: 100_000,
            periods: 40,
            throttled_periods: 12,
            throttled: Duration::from_millis(900),
        })
    );
    drop(cgroup);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn v2_gets_cpu_max_and_its_root_lets_children_use_the_cpu_controller() {
    let root = fake_root("v2");
    std::fs::write(root.join("cgroup.subtree_control"), "memory\n").unwrap();
    let hierarchy = Hierarchy::V2(root.clone());
    hierarchy.prepare().unwrap();
    assert_eq!(read(&root.join("cgroup.subtree_control")), "+cpu");
    let mut cgroup = ProcessCgroup::create(&hierarchy, "stream-processor", 1024).unwrap();
    let path = cgroup.path().to_path_buf();
    assert_eq!(read(&path.join("cpu.max")), "max 100000");
    let mut command = tokio::process::Command::new("true");
    assert!(
        cgroup.host_birth(&mut command).unwrap().is_none(),
        "the child moves itself"
    );
    cgroup.cap().unwrap();
    assert_eq!(read(&path.join("cpu.max")), "57886 100000");
    std::fs::write(
        path.join("cpu.stat"),
        "usage_usec 5\nnr_periods 3\nnr_throttled 1\nthrottled_usec 250\n",
    )
    .unwrap();
    let throttling = cgroup.throttling().unwrap();
    assert_eq!((throttling.periods, throttling.throttled_periods), (3, 1));
    assert_eq!(throttling.throttled, Duration::from_micros(250));
    drop(cgroup);
    std::fs::remove_dir_all(&root).unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_real_cgroup_is_a_busy_process_birthplace_caps_it_and_goes_after_it() {
    let Some(hierarchy) = Hierarchy::this_machine() else {
        // Said on stderr; nothing to cap with on this machine.
        return;
    };
    let own = || std::fs::read_to_string("/proc/thread-self/cgroup").unwrap();
    let before = own();
    let mut cgroup = ProcessCgroup::create(hierarchy, "busy", 128).unwrap();
    let path = cgroup.path().to_path_buf();
    let mut command = tokio::process::Command::new("sh");
    command.args(["-c", "while :; do :; done"]);
    let visit = cgroup.host_birth(&mut command).unwrap();
    let mut busy = command.spawn().unwrap();
    drop(visit);
    assert_eq!(own(), before, "this thread is back where it was");
    let name = path.file_name().unwrap().to_str().unwrap();
    let born_in = std::fs::read_to_string(format!("/proc/{}/cgroup", busy.id().unwrap())).unwrap();
    assert!(born_in.contains(name), "{born_in}");

    cgroup.cap().unwrap();
    let started = std::time::Instant::now();
    let mut throttling = cgroup.throttling().unwrap();
    while throttling.throttled_periods == 0 && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        throttling = cgroup.throttling().unwrap();
    }
    busy.kill().await.unwrap();
    assert!(throttling.throttled_periods > 0, "{throttling:?}");
    drop(cgroup);
    assert!(!path.exists(), "the cgroup is removed");
}
