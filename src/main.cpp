// argv -> Server. The only place that decides the process's exit status.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>

#include "switchboard/config_file.h"
#include "switchboard/config_store.h"
#include "switchboard/log.h"
#include "switchboard/server.h"

using namespace switchboard;

namespace {

constexpr const char* kUsage =
    "Usage: switchboard [-c FILE | --config FILE] [-t | --check] [--log-level LEVEL]\n"
    "                   [-V | --version] [-h | --help]\n"
    "\n"
    "An HTTP/1.1 reverse proxy and load balancer with a JSON admin API.\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE    the config file (default " SWITCHBOARD_DEFAULT_CONFIG ");\n"
    "                       a missing file means built-in defaults, created on the\n"
    "                       first change made through the admin API\n"
    "  -t, --check          validate the config file and exit: 0 when it is valid,\n"
    "                       1 with FILE:LINE:COLUMN: message lines on stderr if not\n"
    "      --log-level L    error, warn, info (default) or debug\n"
    "  -V, --version        print the version and exit\n"
    "  -h, --help           print this help and exit\n"
    "\n"
    "Signals: SIGHUP reloads the config file, SIGTERM/SIGINT stop gracefully,\n"
    "SIGUSR1 reopens the access log.\n"
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

} // namespace

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
        std::cout << "switchboard: " << options.config_path << ": ok\n";
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

    Server server(std::move(store), *read.parse.config);
    return server.run();
}
