package cocoon.reference;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import javax.sql.DataSource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.oauth2.common.DefaultOAuth2AccessToken;
import org.springframework.security.oauth2.common.OAuth2AccessToken;
import org.springframework.security.oauth2.config.annotation.builders.InMemoryClientDetailsServiceBuilder;
import org.springframework.security.oauth2.config.annotation.configurers.ClientDetailsServiceConfigurer;
import org.springframework.security.oauth2.config.annotation.web.configuration.AuthorizationServerConfigurerAdapter;
import org.springframework.security.oauth2.config.annotation.web.configuration.EnableAuthorizationServer;
import org.springframework.security.oauth2.config.annotation.web.configurers.AuthorizationServerEndpointsConfigurer;
import org.springframework.security.oauth2.config.annotation.web.configurers.AuthorizationServerSecurityConfigurer;
import org.springframework.security.oauth2.provider.OAuth2Authentication;
import org.springframework.security.oauth2.provider.token.TokenStore;
import org.springframework.security.oauth2.provider.token.store.JdbcTokenStore;
import org.springframework.security.oauth2.provider.token.store.JwtAccessTokenConverter;

/**
 * The authorization server: the platform's paths, the demo clients, a JDBC token store and RS256
 * JWT access tokens. Sources cited are spring-projects/spring-security-oauth at tag
 * 2.4.0.RELEASE, under spring-security-oauth2/src/main/java/org/springframework/security/oauth2/.
 */
@Configuration
@EnableAuthorizationServer
public class AuthorizationServerConfig extends AuthorizationServerConfigurerAdapter {

    private final DemoData data;
    private final AuthenticationManager authenticationManager;
    private final UserDetailsService users;
    private final DataSource dataSource;

    public AuthorizationServerConfig(
            DemoData data,
            AuthenticationManager authenticationManager,
            UserDetailsService users,
            DataSource dataSource) {
        this.data = data;
        this.authenticationManager = authenticationManager;
        this.users = users;
        this.dataSource = dataSource;
    }

    /**
     * Who may call what. Left as 2.4.0 installs it otherwise: HTTP Basic client authentication
     * with {@code BasicAuthenticationEntryPoint}, realm "oauth2/client"
     * (config/annotation/web/configurers/AuthorizationServerSecurityConfigurer.java,
     * registerDefaultAuthenticationEntryPoint), no form authentication of clients.
     * token_key for anyone (the emulator's default, --token-key-auth none), check_token for an
     * authenticated client.
     */
    @Override
    public void configure(AuthorizationServerSecurityConfigurer security) {
        security.tokenKeyAccess("permitAll()").checkTokenAccess("isAuthenticated()");
    }

    /** The demo clients, in memory (the client details store is not what the tests look at). */
    @Override
    public void configure(ClientDetailsServiceConfigurer clients) throws Exception {
        InMemoryClientDetailsServiceBuilder builder = clients.inMemory();
        for (DemoData.ClientRecord client : data.clients) {
            builder.withClient(client.clientId())
                    .secret("{noop}" + client.secret())
                    .authorizedGrantTypes(client.grantTypes().toArray(String[]::new))
                    .redirectUris(client.redirectUris().toArray(String[]::new))
                    .scopes(client.scope().toArray(String[]::new))
                    .autoApprove(client.autoApprove())
                    .accessTokenValiditySeconds(client.accessTokenValidity())
                    .refreshTokenValiditySeconds(client.refreshTokenValidity());
        }
    }

    /**
     * The platform's paths: every framework endpoint under /api/oauth
     * (AuthorizationServerEndpointsConfigurer.pathMapping). The approval page is our own
     * (ApprovalPage.java): 2.4.0's WhitelabelApprovalEndpoint posts to a hard-coded
     * "/oauth/authorize" whatever the mapping.
     */
    @Override
    public void configure(AuthorizationServerEndpointsConfigurer endpoints) {
        endpoints
                .pathMapping("/oauth/authorize", "/api/oauth/authorize")
                .pathMapping("/oauth/token", "/api/oauth/token")
                .pathMapping("/oauth/check_token", "/api/oauth/check_token")
                .pathMapping("/oauth/token_key", "/api/oauth/token_key")
                .pathMapping("/oauth/confirm_access", "/api/oauth/confirm_access")
                .pathMapping("/oauth/error", "/api/oauth/error")
                .tokenStore(tokenStore())
                .accessTokenConverter(accessTokenConverter())
                // The password grant (ResourceOwnerPasswordTokenGranter) checks users with it.
                .authenticationManager(authenticationManager)
                // A refresh loads the user again (DefaultTokenServices.refreshAccessToken with
                // the PreAuthenticatedAuthenticationProvider addUserDetailsService installs).
                .userDetailsService(users);
    }

    /**
     * A store-backed token store: the document's refresh tokens and jti are UUIDs, which 2.4.0
     * makes only when a store keeps the tokens; JDBC also explains users/me/expire.
     */
    @Bean
    public TokenStore tokenStore() {
        return new JdbcTokenStore(dataSource);
    }

    /**
     * RS256 JWT access tokens with the claims of the document's example (exp, user_name,
     * authorities, jti, client_id, scope). 2.4.0's JwtAccessTokenConverter.enhance also turns
     * the refresh token into a JWT; the document's refresh token is a UUID, so the platform's
     * converter signs the access token only: the refresh token is given back as the store made it.
     */
    @Bean
    public JwtAccessTokenConverter accessTokenConverter() {
        JwtAccessTokenConverter converter =
                new JwtAccessTokenConverter() {
                    @Override
                    public OAuth2AccessToken enhance(
                            OAuth2AccessToken accessToken, OAuth2Authentication authentication) {
                        DefaultOAuth2AccessToken signed =
                                (DefaultOAuth2AccessToken) super.enhance(accessToken, authentication);
                        signed.setRefreshToken(accessToken.getRefreshToken());
                        return signed;
                    }
                };
        converter.setKeyPair(keyPair());
        return converter;
    }

    private static KeyPair keyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
