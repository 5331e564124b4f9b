/**
 * nginx server blocks for the two ways nginx serves Tollgate's packaged media
 * (docs/STREAMING.md, Serving modes), written in one place for the tests, the bench and the
 * operator to copy:
 *  - the edge (TOLLGATE_EDGE=nginx): nginx serves the media directory itself and checks the
 *    secure_link token Tollgate signed over the title's directory (core/cdn/nginx.ts,
 *    signNginxSecureLinkScope); manifests are refused there, they come from Tollgate, and so
 *    are a watermarked title's variant folders a/ and b/: the token opens the whole title, so
 *    the edge serves a variant only under its unguessable name in v/ (docs/WATERMARK.md).
 *  - the byte pump (TOLLGATE_SEND_FILE=x-accel): nginx proxies every gateway request to
 *    Tollgate and sends the file Tollgate names in X-Accel-Redirect from an `internal`
 *    location, which no client can request directly.
 */

export interface EdgeServer {
  readonly port: number;
  /** The path part of TOLLGATE_EDGE_URL ('' or '/media'), no trailing '/'. */
  readonly basePath: string;
  /** The published titles: <mediaRoot>/<title>/… (TOLLGATE_DATA_DIR/media). */
  readonly mediaRoot: string;
  readonly secret: string;
  /** $remote_addr in the hash: TOLLGATE_PLAYBACK_BIND_IP=exact. */
  readonly bindAddress: boolean;
}

export function edgeServerBlock(edge: EdgeServer): string {
  plain(edge.secret, 'the secure_link secret');
  if (!/^(?:\/[A-Za-z0-9._-]+)*$/.test(edge.basePath)) throw new Error('the edge base path must be plain, without a trailing "/"');
  return `
    server {
        listen 127.0.0.1:${edge.port};
        location ~ \\.(?:m3u8|mpd)$ {
            return 403;
        }
        location ~ ^${edge.basePath}/[^/]+/(?:hls|dash)/(?:.+/)?[ab]/ {
            return 404;
        }
        location ~ ^${edge.basePath}/(?<tollgate_title>[^/]+)/(?<tollgate_file>.+)$ {
            set $tollgate_scope "${edge.basePath}/$tollgate_title/";
            secure_link $arg_md5,$arg_expires;
            secure_link_md5 "$secure_link_expires$tollgate_scope${edge.bindAddress ? '$remote_addr' : ''} ${edge.secret}";
            if ($secure_link = "") {
                return 403;
            }
            if ($secure_link = "0") {
                return 410;
            }
            add_header Access-Control-Allow-Origin * always;
            alias ${edge.mediaRoot}/$tollgate_title/$tollgate_file;
        }
    }`;
}

export interface AccelServer {
  readonly port: number;
  /** Tollgate's address, e.g. 127.0.0.1:8080 (TOLLGATE_TRUST_PROXY must name nginx). */
  readonly upstream: string;
  /** TOLLGATE_SEND_FILE_PREFIX. */
  readonly prefix: string;
  readonly mediaRoot: string;
  /** TOLLGATE_ORIGIN_SECRET, added to every proxied request. */
  readonly originSecret?: string;
}

export function accelServerBlock(accel: AccelServer): string {
  if (accel.originSecret !== undefined) plain(accel.originSecret, 'the origin secret');
  return `
    upstream tollgate {
        server ${accel.upstream};
        keepalive 32;
    }
    server {
        listen 127.0.0.1:${accel.port};
        location / {
            proxy_pass http://tollgate;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            # The client address Tollgate binds tokens to; what the client sent is dropped.
            proxy_set_header X-Forwarded-For $remote_addr;
${accel.originSecret === undefined ? '' : `            proxy_set_header X-Tollgate-Origin-Secret "${accel.originSecret}";\n`}        }
        location ${accel.prefix} {
            internal;
            alias ${accel.mediaRoot}/;
        }
    }`;
}

function plain(text: string, what: string): void {
  if (/[\s"'$;{}\\]/.test(text)) throw new Error(`${what} must be plain text for the nginx config`);
}
