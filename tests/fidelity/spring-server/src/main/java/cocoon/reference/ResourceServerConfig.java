package cocoon.reference;

import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.oauth2.config.annotation.web.configuration.EnableResourceServer;
import org.springframework.security.oauth2.config.annotation.web.configuration.ResourceServerConfigurerAdapter;

/**
 * The user API's side: /api/v1/** behind OAuth2AuthenticationProcessingFilter with the
 * authorization server's own token services (the JDBC store), as 2.4.0's
 * config/annotation/web/configuration/ResourceServerConfiguration.java sets it up; resource id
 * "oauth2-resource" (the realm of its Bearer challenges).
 */
@Configuration
@EnableResourceServer
public class ResourceServerConfig extends ResourceServerConfigurerAdapter {

    @Override
    public void configure(HttpSecurity http) throws Exception {
        http.requestMatchers().antMatchers("/api/v1/**")
                .and()
                .authorizeRequests().anyRequest().authenticated();
    }
}
