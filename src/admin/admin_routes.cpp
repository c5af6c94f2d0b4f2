// SPDX-License-Identifier: Apache-2.0
// Every admin call (SPEC §5), in one table. The route table answers 404 and 405 from it and
// checks {service} and {address} before a handler runs. Rows of one path stay together, in
// the order their methods are listed in `Allow`.
#include "switchboard/admin/admin_api.h"

namespace switchboard {

std::span<const Route<AdminApi::Handler>> AdminApi::routes() {
    static const Route<Handler> kRoutes[] = {
        {EVHTTP_REQ_GET, "/", &AdminApi::getStatusPage},
        {EVHTTP_REQ_GET, "/healthz", &AdminApi::getHealth},
        {EVHTTP_REQ_GET, "/services", &AdminApi::getServices},
        {EVHTTP_REQ_GET, "/services/{service}", &AdminApi::getService},
        {EVHTTP_REQ_PUT, "/services/{service}", &AdminApi::putService},
        {EVHTTP_REQ_DELETE, "/services/{service}", &AdminApi::deleteService},
        {EVHTTP_REQ_POST, "/services/{service}/upstreams", &AdminApi::postUpstream},
        {EVHTTP_REQ_DELETE, "/services/{service}/upstreams/{address}", &AdminApi::deleteUpstream},
        {EVHTTP_REQ_PATCH, "/services/{service}/upstreams/{address}", &AdminApi::patchUpstream},
        // The seed calls, kept exactly: add creates the service, remove is the REST
        // DELETE's twin, and any other path under them is answered with their usage.
        {EVHTTP_REQ_POST, "/add_upstream/{service}/{address}", &AdminApi::addUpstreamSeed},
        {EVHTTP_REQ_POST, "/add_upstream/*", &AdminApi::seedCallUsage},
        {EVHTTP_REQ_POST, "/remove_upstream/{service}/{address}", &AdminApi::deleteUpstream},
        {EVHTTP_REQ_POST, "/remove_upstream/*", &AdminApi::seedCallUsage},
        {EVHTTP_REQ_POST, "/reload", &AdminApi::postReload},
        {EVHTTP_REQ_GET, "/config", &AdminApi::getConfig},
        {EVHTTP_REQ_GET, "/changes", &AdminApi::getChanges},
        {EVHTTP_REQ_GET, "/metrics", &AdminApi::getMetrics},
        {EVHTTP_REQ_GET, "/cluster", &AdminApi::getCluster},
    };
    return kRoutes;
}

}  // namespace switchboard
