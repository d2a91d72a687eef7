"""What the CI scripts that drive a live galley-server share: a free port, the server's
environment, starting it and waiting until it answers."""
import os, socket, subprocess, time, urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_server(bin_dir, work, admin_password, **extra_env):
    """Starts galley-server on embedded SQLite under WORK/data; returns (process, base URL, env)."""
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    env = dict(os.environ, GALLEY_DATA_DIR=work + "/data", GALLEY_PORT=str(port), GALLEY_ADMIN_PASSWORD=admin_password,
               GALLEY_BCRYPT_COST="4", GALLEY_TIME_ZONE="UTC", NO_COLOR="1", **extra_env)
    server = subprocess.Popen([bin_dir + "/galley-server"], env=env, stdout=open(work + "/server.log", "w"), stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except Exception:
            time.sleep(0.1)
    return server, base, env
