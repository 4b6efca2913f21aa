package cocoon.reference;

import java.io.IOException;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.WebSecurityConfigurerAdapter;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.util.matcher.AntPathRequestMatcher;
import org.springframework.web.util.UriComponentsBuilder;

/**
 * The people's side: form login (Spring Security's generated /login page with its CSRF field)
 * in front of /api/oauth/authorize, and a sign-out at GET /logout. Ordered after the
 * authorization server's chain (order 0) and the resource server's (order 3).
 */
@Configuration
public class WebSecurityConfig extends WebSecurityConfigurerAdapter {

    private final DemoData data;

    public WebSecurityConfig(DemoData data) {
        this.data = data;
    }

    @Override
    protected void configure(HttpSecurity http) throws Exception {
        http.authorizeRequests()
                // Spring Boot's error page answers for every chain (BasicErrorController).
                .antMatchers("/error", "/login", "/logout").permitAll()
                .anyRequest().authenticated()
                .and()
                .formLogin()
                .and()
                .logout()
                // The platform documents no sign-out. The emulator's GET /logout follows
                // OpenID Connect RP-Initiated Logout 1.0; this is Spring Security's
                // LogoutFilter answering the same request, so the portal's sign-out journey
                // can run here too: the session ends, then the browser goes to a registered
                // post_logout_redirect_uri (with state), or to /login?logout.
                .logoutRequestMatcher(new AntPathRequestMatcher("/logout", "GET"))
                .logoutSuccessHandler(this::afterLogout);
    }

    private void afterLogout(
            HttpServletRequest request, HttpServletResponse response, Authentication auth)
            throws IOException {
        DemoData.ClientRecord client = data.client(request.getParameter("client_id"));
        String target = request.getParameter("post_logout_redirect_uri");
        if (client == null || target == null || !client.postLogoutRedirectUris().contains(target)) {
            response.sendRedirect(request.getContextPath() + "/login?logout");
            return;
        }
        UriComponentsBuilder uri = UriComponentsBuilder.fromUriString(target);
        String state = request.getParameter("state");
        if (state != null) {
            uri.queryParam("state", state);
        }
        response.setStatus(303);
        response.setHeader("Location", uri.build().encode().toUriString());
    }

    /** For the password grant (AuthorizationServerEndpointsConfigurer.authenticationManager). */
    @Bean
    @Override
    public AuthenticationManager authenticationManagerBean() throws Exception {
        return super.authenticationManagerBean();
    }
}
