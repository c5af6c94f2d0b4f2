# SPDX-License-Identifier: Apache-2.0
# What `cmake --install` puts where, and the Debian package `cpack -G DEB` builds from it
# (SPEC §8). Included from the top-level CMakeLists.txt once the targets exist.
#
# Paths are decided when the build is configured, because the binary's default config
# (SWITCHBOARD_DEFAULT_CONFIG) and the unit's ExecStart are compiled in and written out
# then: choose the prefix with -DCMAKE_INSTALL_PREFIX, not with `cmake --install --prefix`.
# A Debian package wants -DCMAKE_INSTALL_PREFIX=/usr, for which GNUInstallDirs puts the
# sysconfdir at /etc:
#
#   cmake -S . -B build-deb -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
#         -DSWITCHBOARD_TESTS=OFF
#   cmake --build build-deb -j
#   (cd build-deb && cpack -G DEB)        # -> build-deb/switchboard_<version>_<arch>.deb
include_guard(GLOBAL)

set(SWITCHBOARD_CONFIG_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/switchboard")
set(SWITCHBOARD_SBIN_PATH "${CMAKE_INSTALL_FULL_SBINDIR}/switchboard")

# Where the systemd unit goes: systemd's own directory when installing into /usr
# (/lib/systemd/system on Debian 12, as pkg-config's systemd.pc says), else the prefix's
# lib/systemd/system, which systemd also searches for /usr/local.
set(SWITCHBOARD_SYSTEMD_UNIT_DIR "" CACHE PATH
    "Directory for switchboard.service (empty: derived from CMAKE_INSTALL_PREFIX)")
if(SWITCHBOARD_SYSTEMD_UNIT_DIR)
  set(SWITCHBOARD_UNIT_INSTALL_DIR "${SWITCHBOARD_SYSTEMD_UNIT_DIR}")
elseif(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  pkg_get_variable(SWITCHBOARD_UNIT_INSTALL_DIR systemd systemdsystemunitdir)
  if(NOT SWITCHBOARD_UNIT_INSTALL_DIR)
    set(SWITCHBOARD_UNIT_INSTALL_DIR "/lib/systemd/system")
  endif()
else()
  set(SWITCHBOARD_UNIT_INSTALL_DIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()

# The unit: packaging/switchboard.service is the real unit for the Debian layout
# (/usr/sbin, /etc); the installed copy has those two paths rewritten for this prefix,
# and is byte for byte the same file when the prefix is /usr.
set(switchboard_unit_source "${CMAKE_SOURCE_DIR}/packaging/switchboard.service")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${switchboard_unit_source}")
file(READ "${switchboard_unit_source}" switchboard_unit_text)
string(REPLACE "/usr/sbin/switchboard" "${SWITCHBOARD_SBIN_PATH}"
       switchboard_unit_text "${switchboard_unit_text}")
string(REPLACE "/etc/switchboard" "${SWITCHBOARD_CONFIG_DIR}"
       switchboard_unit_text "${switchboard_unit_text}")
set(SWITCHBOARD_GENERATED_UNIT "${CMAKE_BINARY_DIR}/packaging/switchboard.service")
file(CONFIGURE OUTPUT "${SWITCHBOARD_GENERATED_UNIT}" CONTENT "${switchboard_unit_text}" @ONLY)

# Man pages, gzipped as Debian wants them when gzip is there (-n: no name or time stamp,
# so the package is reproducible).
find_program(SWITCHBOARD_GZIP gzip)
set(switchboard_man_outputs)
foreach(source IN ITEMS man/switchboard.8 man/switchboard.toml.5)
  get_filename_component(name "${source}" NAME)
  string(REGEX REPLACE ".*\\.([0-9])$" "\\1" section "${name}")
  if(SWITCHBOARD_GZIP)
    set(output "${CMAKE_BINARY_DIR}/man/${name}.gz")
    add_custom_command(
      OUTPUT "${output}"
      COMMAND "${CMAKE_COMMAND}" -E make_directory "${CMAKE_BINARY_DIR}/man"
      COMMAND "${SWITCHBOARD_GZIP}" -9 -n -c "${CMAKE_SOURCE_DIR}/${source}" > "${output}"
      DEPENDS "${CMAKE_SOURCE_DIR}/${source}"
      COMMENT "Compressing ${name}"
      VERBATIM)
    list(APPEND switchboard_man_outputs "${output}")
  else()
    set(output "${CMAKE_SOURCE_DIR}/${source}")
  endif()
  install(FILES "${output}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man${section}")
endforeach()
if(switchboard_man_outputs)
  add_custom_target(switchboard_man ALL DEPENDS ${switchboard_man_outputs})
endif()

# The package's documentation directory, as Debian policy (§12.5, §12.7) wants it: the
# copyright file in Debian's machine-readable format (Apache-2.0, pointing at
# /usr/share/common-licenses), and the changelog, gzipped like the man pages. The version
# has no Debian revision (a native package), so it is changelog.gz, not changelog.Debian.gz;
# its newest entry is this version (packaging.deb checks it).
install(FILES "${CMAKE_SOURCE_DIR}/packaging/debian/copyright"
        DESTINATION "${CMAKE_INSTALL_DOCDIR}")
set(switchboard_changelog_source "${CMAKE_SOURCE_DIR}/packaging/debian/changelog")
if(SWITCHBOARD_GZIP)
  set(switchboard_changelog "${CMAKE_BINARY_DIR}/packaging/debian/changelog.gz")
  add_custom_command(
    OUTPUT "${switchboard_changelog}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${CMAKE_BINARY_DIR}/packaging/debian"
    COMMAND "${SWITCHBOARD_GZIP}" -9 -n -c "${switchboard_changelog_source}"
            > "${switchboard_changelog}"
    DEPENDS "${switchboard_changelog_source}"
    COMMENT "Compressing changelog"
    VERBATIM)
  add_custom_target(switchboard_changelog ALL DEPENDS "${switchboard_changelog}")
else()
  set(switchboard_changelog "${switchboard_changelog_source}")
endif()
install(FILES "${switchboard_changelog}" DESTINATION "${CMAKE_INSTALL_DOCDIR}")

install(TARGETS switchboard RUNTIME DESTINATION "${CMAKE_INSTALL_SBINDIR}")
install(FILES "${SWITCHBOARD_GENERATED_UNIT}" DESTINATION "${SWITCHBOARD_UNIT_INSTALL_DIR}")

# The example config, only where there is none yet: an operator's file (and every change
# the admin API saved into it) survives reinstalling. DESTDIR is honoured; the .deb
# always gets the file, since cpack installs into an empty staging directory, and dpkg's
# conffile handling protects it on upgrades. Mode 0640: it may hold the admin token.
install(CODE "
  set(switchboard_config \"\$ENV{DESTDIR}${SWITCHBOARD_CONFIG_DIR}/switchboard.toml\")
  if(EXISTS \"\${switchboard_config}\")
    message(STATUS \"Keeping existing: \${switchboard_config}\")
  else()
    file(INSTALL DESTINATION \"${SWITCHBOARD_CONFIG_DIR}\" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ
         FILES \"${CMAKE_SOURCE_DIR}/etc/switchboard.toml\")
  endif()
")

# ---- Debian package ------------------------------------------------------------------
foreach(script postinst prerm postrm conffiles)
  configure_file("${CMAKE_SOURCE_DIR}/packaging/debian/${script}.in"
                 "${CMAKE_BINARY_DIR}/packaging/debian/${script}" @ONLY)
endforeach()

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "switchboard")
set(CPACK_PACKAGE_VENDOR "switchboard")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "HTTP/1.1 reverse proxy and load balancer with a JSON admin API")
# One line per line of the control file's extended description (lintian wants them under
# 80 columns; CPack indents each).
set(CPACK_PACKAGE_DESCRIPTION
    "switchboard routes HTTP/1.1 requests to pools of upstream servers (round
robin, least connections, random, consistent hashing; active and passive
health checks). A JSON REST API on a second port changes the pools at run
time and saves every change back to the TOML configuration file, keeping
its comments; SIGHUP reloads the file.")
# The project's name and address (README "Licence"; the project has no mail domain of its
# own yet, so the address is example.org's): a distribution or a fork that builds the
# package sets its own with -DSWITCHBOARD_DEB_MAINTAINER="Name <address>".
set(SWITCHBOARD_DEB_MAINTAINER "switchboard developers <switchboard@example.org>" CACHE STRING
    "The Debian package's Maintainer field")
set(CPACK_PACKAGE_CONTACT "${SWITCHBOARD_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SWITCHBOARD_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")
set(CPACK_STRIP_FILES ON)
# Install at the configured paths (/usr, /etc), absolute ones included, into the staging
# directory through DESTDIR, so nothing lands outside it.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")

# Shared library dependencies computed by dpkg-shlibdeps (dpkg-dev; CPack also needs
# `file`); without them, the bookworm names spelled out. adduser is for the postinst.
find_program(SWITCHBOARD_DPKG_SHLIBDEPS dpkg-shlibdeps)
find_program(SWITCHBOARD_FILE_PROGRAM file)
if(SWITCHBOARD_DPKG_SHLIBDEPS AND SWITCHBOARD_FILE_PROGRAM)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
else()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libevent-2.1-7, libcjson1, libsystemd0, libssl3, adduser")
endif()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${CMAKE_BINARY_DIR}/packaging/debian/conffiles"
    "${CMAKE_BINARY_DIR}/packaging/debian/postinst"
    "${CMAKE_BINARY_DIR}/packaging/debian/prerm"
    "${CMAKE_BINARY_DIR}/packaging/debian/postrm")
# Maintainer scripts 0755, conffiles 0644, whatever the source files' modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "switchboard: install prefix is ${CMAKE_INSTALL_PREFIX}; configure with "
                 "-DCMAKE_INSTALL_PREFIX=/usr for a Debian package (config in /etc)")
endif()
include(CPack)
