// --store values: every form libpq takes reaches it unchanged, and no password reaches
// a log line.
#include "grayling/store/store_uri.hpp"

#include <gtest/gtest.h>

namespace grayling {
namespace {

TEST(StoreUri, PostgresqlUrisAndKeywordStringsPassThroughUnchanged) {
  const StoreUri uri = StoreUri::parse("postgresql://g:s3cret@db1:5432,db2:5432/grayling?target_session_attrs=read-write");
  EXPECT_EQ(uri.scheme, StoreUri::Scheme::postgresql);
  EXPECT_EQ(uri.conninfo, "postgresql://g:s3cret@db1:5432,db2:5432/grayling?target_session_attrs=read-write");
  EXPECT_EQ(StoreUri::parse("postgres://g@db/grayling").conninfo, "postgres://g@db/grayling");
  EXPECT_EQ(StoreUri::parse("postgresql:host=/run/postgresql dbname=grayling").conninfo,
            "host=/run/postgresql dbname=grayling");
  EXPECT_EQ(StoreUri::parse("postgresql:host=db").directory(), std::nullopt);
  EXPECT_THROW((void)StoreUri::parse("postgresql:nonsense"), StoreUriError);
}

TEST(StoreUri, PasswordsAreMaskedInWhatIsLogged) {
  EXPECT_EQ(StoreUri::parse("postgresql://g:s3cret@db:5432/grayling").describe(), "postgresql://g:***@db:5432/grayling");
  EXPECT_EQ(StoreUri::parse("postgres://g@db/grayling?sslmode=require&password=s3cret").describe(),
            "postgres://g@db/grayling?sslmode=require&password=***");
  EXPECT_EQ(StoreUri::parse("postgresql:host=db password=s3cret dbname=g").describe(),
            "postgresql:host=db password=*** dbname=g");
  EXPECT_EQ(StoreUri::parse("postgresql:host=db password='a b\\' c' dbname=g").describe(),
            "postgresql:host=db password=*** dbname=g");
  EXPECT_EQ(StoreUri::parse("postgresql://g@db/grayling").describe(), "postgresql://g@db/grayling");
  // "password" inside another keyword's value is not a password.
  EXPECT_EQ(mask_password("host=db application_name=nopassword=x"), "host=db application_name=nopassword=x");
}

}  // namespace
}  // namespace grayling
