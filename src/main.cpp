// SPDX-License-Identifier: Apache-2.0
// argv -> Server. The only place that decides the process's exit status.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>

#include "switchboard/base/log.h"
#include "switchboard/config/config_file.h"
#include "switchboard/config/config_store.h"
#include "switchboard/proxy/proxy.h"
#include "switchboard/server/server.h"
#include "switchboard/server/tls_certificates.h"

using namespace switchboard;

namespace {

constexpr const char* kUsage =
    "Usage: switchboard [-c FILE | --config FILE] [-t | --check] [--log-level LEVEL]\n"
    "                   [-V | --version] [-h | --help]\n"
    "\n"
    "An HTTP/1.1 reverse proxy and load balancer with a JSON admin API. The proxy\n"
    "port is served by [proxy] workers event loops: 1 by default (on the main\n"
    "loop), N threads, or \"auto\" for one thread per CPU. [proxy] tls_listen\n"
    "adds HTTPS listeners with the [[proxy.certificates]] picked by SNI. The\n"
    "admin port ([admin] listen) serves the JSON API and, at /, a status page\n"
    "to open in a browser. With [cluster] etcd = [\"http://HOST:PORT\", ...],\n"
    "several instances keep one set of services in etcd: a change made on any\n"
    "instance's admin port is served by all of them (GET /cluster shows the\n"
    "state); without it the config file keeps the services.\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE    the config file; default:\n"
    "                       " SWITCHBOARD_DEFAULT_CONFIG "\n"
    "                       a missing file means the built-in defaults; the first\n"
    "                       change made through the admin API creates it\n"
    "  -t, --check          validate the config file and exit: 0 with\n"
    "                       \"switchboard: FILE: ok\", or 1 with FILE:LINE:COLUMN:\n"
    "                       message lines on stderr (a missing file is an error);\n"
    "                       certificate files are read too, and described;\n"
    "                       [cluster] is checked, but etcd is not contacted\n"
    "      --log-level LEVEL\n"
    "                       error, warn, info (default) or debug; logs go to stderr\n"
    "  -V, --version        print the version and exit\n"
    "  -h, --help           print this help and exit\n"
    "The long options also take --config=FILE and --log-level=LEVEL.\n"
    "\n"
    "Signals: SIGHUP reloads the config file and the certificate files;\n"
    "SIGTERM/SIGINT stop gracefully (a\n"
    "second one stops at once); SIGUSR1 reopens the access log.\n"
    "\n"
    "Exit status: 0 clean shutdown, 1 config error, 2 usage error,\n"
    "3 a listener could not be bound.\n"
    "\n"
    "See switchboard(8) and switchboard.toml(5).\n";

struct Options {
    std::string config_path = SWITCHBOARD_DEFAULT_CONFIG;
    bool check = false;
    LogLevel log_level = LogLevel::Info;
};

int usageError(const std::string& message) {
    std::cerr << "switchboard: " << message << "\n"
              << "Try 'switchboard --help' for more information.\n";
    return kExitUsage;
}

void printErrors(const ConfigParse& parse) {
    for (const auto& error : parse.errors)
        std::cerr << error.toString() << "\n";
}

// Every client connection holds a descriptor, and one more while it talks to an upstream;
// the pipes that large bodies are spliced through take two each (ProxyContext::kMaxPipes per
// worker). The
// soft limit is often 1024 while the hard one is far higher (systemd: 524288), so the soft
// limit is raised to the hard one, as nginx (worker_rlimit_nofile) and HAProxy do; a limit
// still too low for proxy.max_connections is logged (LimitNOFILE= in the unit raises it).
void raiseOpenFileLimit(std::int64_t max_connections, std::size_t workers) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            limit = raised;
    }
    const auto wanted =
        static_cast<rlim_t>(2 * max_connections + 2 * ProxyContext::kMaxPipes * workers + 100);
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted)
        logWarn("open file limit " + std::to_string(limit.rlim_cur) +
                " is below what proxy.max_connections = " + std::to_string(max_connections) +
                " may need (" + std::to_string(wanted) +
                "): connections past it will fail; raise it with `ulimit -n` before starting, "
                "or LimitNOFILE= in the systemd unit");
}

}  // namespace

int main(int argc, char** argv) {
    // Until the event loop takes them over, a reload or log-reopen signal that arrives while
    // the config is read must not kill the process (SPEC §7).
    std::signal(SIGHUP, SIG_IGN);
    std::signal(SIGUSR1, SIG_IGN);
    // A mask inherited from the parent would keep our signals from ever arriving.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        auto value = [&](std::string_view name) -> const char* {
            if (i + 1 >= argc)
                return nullptr;
            (void)name;
            return argv[++i];
        };
        if (arg == "-h" || arg == "--help") {
            std::cout << kUsage;
            return kExitOk;
        }
        if (arg == "-V" || arg == "--version") {
            std::cout << "switchboard " SWITCHBOARD_VERSION "\n";
            return kExitOk;
        }
        if (arg == "-t" || arg == "--check") {
            options.check = true;
        } else if (arg == "-c" || arg == "--config") {
            const char* path = value(arg);
            if (!path)
                return usageError(std::string(arg) + " needs a file name");
            options.config_path = path;
        } else if (arg.substr(0, 9) == "--config=") {
            options.config_path = std::string(arg.substr(9));
        } else if (arg == "--log-level" || arg.substr(0, 12) == "--log-level=") {
            const char* level_text = arg == "--log-level" ? value(arg) : argv[i] + 12;
            if (!level_text)
                return usageError("--log-level needs a level");
            auto level = parseLogLevel(level_text);
            if (!level)
                return usageError(std::string("invalid log level '") + level_text +
                                  "': use error, warn, info or debug");
            options.log_level = *level;
        } else {
            return usageError("unknown option '" + std::string(arg) + "'");
        }
    }
    setLogLevel(options.log_level);

    ConfigStore store(options.config_path);
    ConfigFileRead read = store.load();
    if (options.check) {
        if (read.missing) {
            std::cerr << options.config_path << ": cannot read: No such file or directory\n";
            return kExitConfigError;
        }
        if (!read.parse.config) {
            printErrors(read.parse);
            return kExitConfigError;
        }
        // The certificate files are part of the configuration: --check reads them as a start
        // would, and says what it found.
        std::vector<std::string> warnings;
        auto certificates =
            loadCertificates(read.parse.config->proxy, options.config_path, nullptr, warnings);
        if (!certificates) {
            std::cerr << options.config_path << ": " << certificates.error().message << "\n";
            return kExitConfigError;
        }
        for (const auto& warning : warnings)
            std::cerr << options.config_path << ": warning: " << warning << "\n";
        std::cout << "switchboard: " << options.config_path << ": ok\n";
        if (*certificates)
            for (const auto& line : (*certificates)->summary())
                std::cout << "switchboard: certificate " << line << "\n";
        return kExitOk;
    }
    if (!read.parse.config) {
        printErrors(read.parse);
        logError("invalid config file " + options.config_path + "; not starting");
        return kExitConfigError;
    }
    if (read.missing)
        logInfo("config file " + options.config_path +
                " does not exist: starting from the built-in defaults; the first change made "
                "through the admin API creates it");

    raiseOpenFileLimit(read.parse.config->proxy.max_connections,
                       resolvedWorkerCount(read.parse.config->proxy.workers));
    Server server(std::move(store), *read.parse.config);
    return server.run();
}
