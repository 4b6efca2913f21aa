package cocoon.reference;

import java.util.Map;
import javax.servlet.http.HttpServletRequest;
import org.springframework.http.MediaType;
import org.springframework.security.oauth2.provider.AuthorizationRequest;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ResponseBody;
import org.springframework.web.bind.annotation.SessionAttributes;
import org.springframework.web.util.HtmlUtils;

/**
 * The approval page AuthorizationEndpoint forwards to (its userApprovalPage, the mapped
 * /oauth/confirm_access). It replaces provider/endpoint/WhitelabelApprovalEndpoint.java, whose
 * form posts to a hard-coded "/oauth/authorize" whatever pathMapping says; this one posts to
 * /api/oauth/authorize. The handler 2.4.0 installs with a token store is
 * ApprovalStoreUserApprovalHandler over a TokenApprovalStore
 * (AuthorizationServerEndpointsConfigurer.userApprovalHandler): it approves the scopes posted
 * as scope.NAME=true and denies when none is, so Approve posts every requested scope (as the
 * whitelabel page's radio buttons would) and Deny posts none. Both carry the CSRF token.
 * An ordinary @Controller wins over the framework endpoint of the same path
 * (FrameworkEndpointHandlerMapping is ordered last but two).
 */
@Controller
@SessionAttributes("authorizationRequest")
public class ApprovalPage {

    @GetMapping(value = "/api/oauth/confirm_access", produces = MediaType.TEXT_HTML_VALUE)
    @ResponseBody
    public String confirm(Map<String, Object> model, HttpServletRequest request) {
        AuthorizationRequest authorization = (AuthorizationRequest) model.get("authorizationRequest");
        CsrfToken csrf = (CsrfToken) request.getAttribute(CsrfToken.class.getName());
        String client = HtmlUtils.htmlEscape(authorization.getClientId());
        String csrfField =
                csrf == null
                        ? ""
                        : "<input type=\"hidden\" name=\"" + HtmlUtils.htmlEscape(csrf.getParameterName())
                                + "\" value=\"" + HtmlUtils.htmlEscape(csrf.getToken()) + "\">";
        StringBuilder scopes = new StringBuilder();
        for (String scope : authorization.getScope()) {
            scopes.append("<input type=\"hidden\" name=\"scope.")
                    .append(HtmlUtils.htmlEscape(scope))
                    .append("\" value=\"true\">");
        }
        String action = request.getContextPath() + "/api/oauth/authorize";
        return "<!doctype html><html lang=\"en\"><head><title>Approve access</title></head><body>"
                + "<h1>Approve access</h1><p>Do you authorize \"" + client
                + "\" to access your protected resources?</p>"
                + "<form method=\"post\" action=\"" + action + "\">" + csrfField + scopes
                + "<button type=\"submit\" name=\"user_oauth_approval\" value=\"true\">Approve</button></form>"
                + "<form method=\"post\" action=\"" + action + "\">" + csrfField
                + "<button type=\"submit\" name=\"user_oauth_approval\" value=\"false\">Deny</button></form>"
                + "</body></html>";
    }
}
