package cocoon.reference;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;

/** The demo users: passwords checked as given ({noop}), authorities as in the data file. */
@Configuration
public class UsersConfig {

    @Bean
    public UserDetailsService users(DemoData data) {
        InMemoryUserDetailsManager manager = new InMemoryUserDetailsManager();
        for (DemoData.UserRecord user : data.users) {
            manager.createUser(
                    User.withUsername(user.username())
                            .password("{noop}" + user.password())
                            .authorities(user.authorities().toArray(String[]::new))
                            .build());
        }
        return manager;
    }
}
